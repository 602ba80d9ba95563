import { comparePolicyAge } from './age.js';
import { objectKey } from './keys.js';
import { matchesSelector, matchesServiceSelector } from './selector.js';
import type { PodInfo, PodSelection, Policy, ServiceInfo } from './types.js';

/** A pod the data path can act on: scheduled, addressed, running on the pod network. */
export function isSelectablePod(pod: PodInfo): boolean {
  return (
    !!pod.podIP &&
    !!pod.nodeName &&
    !pod.hostNetwork &&
    pod.phase !== 'Succeeded' &&
    pod.phase !== 'Failed'
  );
}

/** Whether `policy` selects `pod`, ignoring other policies. */
export function policySelectsPod(
  policy: Policy,
  pod: PodInfo,
  services: ReadonlyMap<string, ServiceInfo> | readonly ServiceInfo[],
): boolean {
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
 * podSelector, by the selector of the Service named serviceName, or (neither) all of them. When
 * several select a pod the oldest wins (comparePolicyAge); the others are listed as losers.
 * Pods no policy selects are absent. Keys are PodInfo.key.
 */
export function selectPods(
  policies: readonly Policy[],
  pods: readonly PodInfo[],
  services: readonly ServiceInfo[],
): Map<string, PodSelection> {
  const svcByKey = new Map(services.map((s) => [objectKey(s.namespace, s.name), s]));
  const byNamespace = new Map<string, Policy[]>();
  for (const p of [...policies].sort(comparePolicyAge)) {
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }
  const out = new Map<string, PodSelection>();
  for (const pod of pods) {
    const candidates = byNamespace.get(pod.namespace);
    if (!candidates || !isSelectablePod(pod)) continue;
    const matching = candidates.filter((p) => policySelectsPod(p, pod, svcByKey));
    if (matching.length === 0) continue;
    out.set(pod.key, { policyKey: matching[0]!.key, losers: matching.slice(1).map((p) => p.key) });
  }
  return out;
}
