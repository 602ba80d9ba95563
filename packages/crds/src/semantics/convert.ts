// From client-node objects to the semantics' inputs, written once for both daemons.
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { parseIPv4 } from '../ip/index.js';
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

/** Where a node is reached and which addresses it owns, read the same way by manager and agent. */
export interface NodeAddresses {
  /** The first IPv4 InternalIP: the manager probes the agent there, directors route to it. */
  internalIP?: string;
  /** Every IPv4 address of status.addresses, of any type: an egress IP must be none of them. */
  addresses: string[];
}

export function nodeAddressesOf(node: V1Node | undefined): NodeAddresses {
  const addrs = node?.status?.addresses ?? [];
  const internalIP = addrs.filter((a) => a.type === 'InternalIP').map((a) => parseIPv4(a.address)).find((ip) => ip !== undefined);
  const addresses = addrs.map((a) => parseIPv4(a.address)).filter((ip): ip is string => ip !== undefined);
  return { ...(internalIP ? { internalIP } : {}), addresses };
}
