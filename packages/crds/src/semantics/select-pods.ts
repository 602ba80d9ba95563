import { computePodSelection } from './destinations.js';
import { objectKey } from './keys.js';
import { comparePolicyPrecedence } from './precedence.js';
import { matchesSelector, matchesServiceSelector } from './selector.js';
import type { Labels, PodInfo, PodSelection, Policy, ServiceInfo } from './types.js';

/** A pod the data path can act on: scheduled, addressed (either family, issue 11), running on the pod network. */
export function isSelectablePod(pod: PodInfo): boolean {
  return (
    (!!pod.podIP || !!pod.podIPs?.length) &&
    !!pod.nodeName &&
    !pod.hostNetwork &&
    pod.phase !== 'Succeeded' &&
    pod.phase !== 'Failed'
  );
}

/**
 * Whether `policy` selects `pod`, ignoring other policies. A ClusterStaticEgressIP selects pods of
 * the namespaces its namespaceSelector matches (by `namespaceLabels`; a namespace not in it has no
 * labels), by podSelector.
 */
export function policySelectsPod(
  policy: Policy,
  pod: PodInfo,
  services: ReadonlyMap<string, ServiceInfo> | readonly ServiceInfo[],
  namespaceLabels: ReadonlyMap<string, Labels> = new Map(),
): boolean {
  if (policy.scope === 'Cluster') {
    return matchesSelector(namespaceLabels.get(pod.namespace) ?? {}, policy.namespaceSelector) && matchesSelector(pod.labels, policy.podSelector);
  }
  if (pod.namespace !== policy.namespace) return false;
  if (policy.serviceName !== undefined) {
    const svc = Array.isArray(services)
      ? (services as readonly ServiceInfo[]).find((s) => s.namespace === policy.namespace && s.name === policy.serviceName)
      : (services as ReadonlyMap<string, ServiceInfo>).get(objectKey(policy.namespace, policy.serviceName));
    return !!svc && matchesServiceSelector(pod.labels, svc.selector);
  }
  return matchesSelector(pod.labels, policy.podSelector);
}

/**
 * Which policy owns each selectable pod. A policy selects pods of its own namespace by
 * podSelector, by the selector of the Service named serviceName, or (neither) all of them; a
 * ClusterStaticEgressIP those of the namespaces it selects. Several may select a pod: each packet
 * uses the one resolveDestination picks (most specific destination, then comparePolicyPrecedence);
 * computePodSelection lists them and their identical-prefix conflicts. Pods no policy selects are
 * absent. Keys are PodInfo.key.
 */
export function selectPods(
  policies: readonly Policy[],
  pods: readonly PodInfo[],
  services: readonly ServiceInfo[],
  namespaceLabels: ReadonlyMap<string, Labels> = new Map(),
): Map<string, PodSelection> {
  const svcByKey = new Map(services.map((s) => [objectKey(s.namespace, s.name), s]));
  const byNamespace = new Map<string, Policy[]>();
  // Sorted by precedence, cluster policies last: appending them to every namespace's list keeps it sorted.
  const sorted = [...policies].sort(comparePolicyPrecedence);
  const cluster = sorted.filter((p) => p.scope === 'Cluster');
  for (const p of sorted) {
    if (p.scope === 'Cluster') continue;
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }
  const out = new Map<string, PodSelection>();
  for (const pod of pods) {
    const candidates = [...(byNamespace.get(pod.namespace) ?? []), ...cluster];
    if (candidates.length === 0 || !isSelectablePod(pod)) continue;
    const matching = candidates.filter((p) => policySelectsPod(p, pod, svcByKey, namespaceLabels));
    if (matching.length === 0) continue;
    out.set(pod.key, computePodSelection(matching));
  }
  return out;
}
