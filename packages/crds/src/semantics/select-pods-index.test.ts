import assert from 'node:assert/strict';
import { computePodSelection } from './destinations.js';
import { comparePolicyPrecedence } from './precedence.js';
import { isSelectablePod, policySelectsPod, selectPods } from './select-pods.js';
import type { Labels, PodInfo, PodSelection, Policy, ServiceInfo } from './types.js';

/** The rule without the label index: every policy of the pod's namespace, then the cluster ones. */
function selectPodsByScan(policies: readonly Policy[], pods: readonly PodInfo[], services: readonly ServiceInfo[], nsLabels: ReadonlyMap<string, Labels>): Map<string, PodSelection> {
  const sorted = [...policies].sort(comparePolicyPrecedence);
  const ordered = [...sorted.filter((p) => p.scope !== 'Cluster'), ...sorted.filter((p) => p.scope === 'Cluster')];
  const out = new Map<string, PodSelection>();
  for (const pod of pods) {
    if (!isSelectablePod(pod)) continue;
    const matching = ordered.filter((p) => policySelectsPod(p, pod, services, nsLabels));
    if (matching.length) out.set(pod.key, computePodSelection(matching));
  }
  return out;
}

function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('selectPods label index (issue 16 §4)', () => {
  it('selects exactly what checking every policy selects, over a mix of selectors, Services and cluster policies', () => {
    const r = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const nss = ['a', 'b', 'c'];
    const vals = ['1', '2', '3'];
    const labels = (): Labels => Object.fromEntries(['app', 'tier', 'team'].filter(() => r() < 0.7).map((k) => [k, pick(vals)]));
    for (let round = 0; round < 30; round++) {
      const policies: Policy[] = Array.from({ length: 25 }, (_, i) => {
        const kind = pick(['labels', 'labels', 'expr', 'empty', 'service', 'cluster'] as const);
        const base: Policy = {
          key: `${pick(nss)}/p${i}`, namespace: '', name: `p${i}`, uid: `u${i}`, generation: 1, createdAt: Math.floor(r() * 5), egressIPs: ['192.0.2.100'],
          destinationCIDRs: [pick(['0.0.0.0/0', '198.51.100.0/24'])], excludedCIDRs: [], assignments: new Map(),
        };
        base.namespace = base.key.split('/')[0]!;
        if (kind === 'labels') base.podSelector = { matchLabels: labels() };
        if (kind === 'expr') base.podSelector = { matchExpressions: [{ key: 'app', operator: 'In', values: [pick(vals)] }] };
        if (kind === 'service') base.serviceName = pick(['s1', 's2']);
        if (kind === 'cluster') Object.assign(base, { scope: 'Cluster', key: `c${i}`, namespace: '', namespaceSelector: { matchLabels: { env: pick(vals) } }, podSelector: { matchLabels: labels() } });
        return base;
      });
      const pods: PodInfo[] = Array.from({ length: 60 }, (_, i) => {
        const namespace = pick(nss);
        return { key: `${namespace}/pod${i}`, namespace, name: `pod${i}`, uid: `pu${i}`, labels: labels(), nodeName: 'n1', podIP: `203.0.113.${i}` };
      });
      const services: ServiceInfo[] = nss.flatMap((namespace) => [{ namespace, name: 's1', selector: { app: pick(vals) } }, { namespace, name: 's2' }]);
      const nsLabels = new Map(nss.map((n) => [n, { env: pick(vals) }]));
      assert.deepEqual(selectPods(policies, pods, services, nsLabels), selectPodsByScan(policies, pods, services, nsLabels), `round ${round}`);
    }
  });
});
