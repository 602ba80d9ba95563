// From client-node objects to the semantics' inputs, written once for both daemons.
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { canonicalIP, ipFamilyOf, parseIPv4 } from '../ip/index.js';
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
  // Every family's address (podIPs holds one per family); podIP stays the IPv4 one.
  const listed = (pod.status?.podIPs ?? []).map((p) => p.ip);
  const podIPs = [...new Set((listed.length > 0 ? listed : [pod.status?.podIP]).map(canonicalIP).filter((ip) => ip !== undefined))];
  const v4 = podIPs.find((ip) => ipFamilyOf(ip) === 4) ?? parseIPv4(pod.status?.podIP);
  if (v4) info.podIP = v4;
  if (podIPs.length > 0) info.podIPs = podIPs;
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
  /**
   * The first IPv4 InternalIP, else the first IPv6 one (an IPv6-only node): the manager probes the
   * agent there (bracketed in the URL), directors route to it.
   */
  internalIP?: string;
  /** The first IPv6 InternalIP (issue 11): per-family routes to the node; the IPv4 one is internalIP when IPv4. */
  internalIPv6?: string;
  /** Every address of status.addresses, of any type and family, canonical: an egress IP must be none of them. */
  addresses: string[];
}

export function nodeAddressesOf(node: V1Node | undefined): NodeAddresses {
  const addrs = node?.status?.addresses ?? [];
  const internal = addrs.filter((a) => a.type === 'InternalIP').map((a) => canonicalIP(a.address)).filter((ip) => ip !== undefined);
  const internalIPv4 = internal.find((ip) => ipFamilyOf(ip) === 4);
  const internalIPv6 = internal.find((ip) => ipFamilyOf(ip) === 6);
  const internalIP = internalIPv4 ?? internalIPv6;
  const addresses = [...new Set(addrs.map((a) => canonicalIP(a.address)).filter((ip): ip is string => ip !== undefined))];
  return {
    ...(internalIP ? { internalIP } : {}),
    ...(internalIPv6 ? { internalIPv6 } : {}),
    addresses,
  };
}
