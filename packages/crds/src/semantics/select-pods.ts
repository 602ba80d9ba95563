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
  const indexes = new Map([...byNamespace].map(([ns, list]) => [ns, indexByLabel([...list, ...cluster])]));
  const clusterOnly = indexByLabel(cluster);
  const out = new Map<string, PodSelection>();
  for (const pod of pods) {
    const candidates = candidatesOf(indexes.get(pod.namespace) ?? clusterOnly, pod.labels);
    if (candidates.length === 0 || !isSelectablePod(pod)) continue;
    const matching = candidates.filter((p) => policySelectsPod(p, pod, svcByKey, namespaceLabels));
    if (matching.length === 0) continue;
    out.set(pod.key, computePodSelection(matching));
  }
  return out;
}

/**
 * Policies in precedence order, indexed by one matchLabels pair each (issue 16 §4): a pod can only be
 * selected by a policy whose pair it carries, so a pod is checked against those and the policies
 * without such a pair (a Service, an empty or expression-only selector, cluster scope), not against
 * every policy of its namespace (100,000 pods × 200 policies each was 20 million selector matches).
 */
interface LabelIndex { list: readonly Policy[]; always: number[]; byPair: Map<string, number[]> }

const pairKey = (k: string, v: string): string => `${k}\u0000${v}`;

function indexByLabel(list: readonly Policy[]): LabelIndex {
  const idx: LabelIndex = { list, always: [], byPair: new Map() };
  list.forEach((p, i) => {
    const first = p.scope === 'Cluster' || p.serviceName !== undefined ? undefined : Object.entries(p.podSelector?.matchLabels ?? {})[0];
    if (!first) {
      idx.always.push(i);
      return;
    }
    const key = pairKey(first[0], String(first[1]));
    const at = idx.byPair.get(key);
    if (at) at.push(i);
    else idx.byPair.set(key, [i]);
  });
  return idx;
}

/** The policies that may select a pod with `labels`, in the index's (precedence) order. */
function candidatesOf(idx: LabelIndex, labels: Labels): Policy[] {
  if (idx.list.length === 0) return [];
  const hits: number[] = [];
  for (const [k, v] of Object.entries(labels)) hits.push(...(idx.byPair.get(pairKey(k, v)) ?? []));
  const at = hits.length === 0 ? idx.always : [...idx.always, ...hits].sort((a, b) => a - b);
  return at.map((i) => idx.list[i]!);
}
