// From client-node objects to the semantics' inputs, written once for both daemons.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { parseIPv4 } from './ip.js';
import { podKey } from './keys.js';
import type { PodInfo, ServiceInfo } from './types.js';

export function podInfoFromPod(pod: V1Pod): PodInfo {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const info: PodInfo = {
    key: podKey(namespace, name),
    namespace,
    name,
    uid: pod.metadata?.uid ?? '',
    labels: { ...(pod.metadata?.labels ?? {}) },
  };
  if (pod.spec?.nodeName) info.nodeName = pod.spec.nodeName;
  // Prefer the IPv4 address of a dual-stack pod; we only steer IPv4.
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  const v4 = ips.map((ip) => parseIPv4(ip)).find((ip) => ip !== undefined);
  if (v4) info.podIP = v4;
  if (pod.status?.phase) info.phase = pod.status.phase;
  if (pod.spec?.hostNetwork) info.hostNetwork = true;
  return info;
}

export function serviceInfoFromService(svc: V1Service): ServiceInfo {
  const info: ServiceInfo = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
  if (svc.spec?.selector) info.selector = { ...svc.spec.selector };
  return info;
}
