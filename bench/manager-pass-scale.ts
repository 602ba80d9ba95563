// `npm run bench -- --only manager-pass-scale` (issue 16 §4): the manager's full pass (parse the
// cluster view, select pods, assign, derive statuses) over 100,000 pods, 5,000 Nodes (50 of them
// gateways) and 10,000 policies, in process (no apiserver): median of 3, beside parsing the view
// alone (the share every consumer of the caches pays). The egress IPs are strings in 198.18.0.0/15
// (the benchmarking range); nothing reaches a kernel.
import { parseClusterView, type ClusterSnapshot } from '@static-egress/crds';
import { computeManagerPass, emptyMemory } from '../packages/gateway-manager/src/controller/pass.js';
import { timeMedian } from './lib/stats.js';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';

const NODES = 5_000;
const GATEWAYS = 50;
const POLICIES = 10_000;
const NAMESPACES = 50;

export function scaleSnapshot(pods: number): ClusterSnapshot {
  const ip = (k: number): string => `198.18.${(k >> 8) & 255}.${k & 255}`;
  const t = new Date(1_700_000_000_000);
  return {
    pods: Array.from({ length: pods }, (_, k) => ({
      metadata: { name: `p-${k}`, namespace: `ns-${k % NAMESPACES}`, uid: `uid-${k}`, labels: { app: `app-${k % POLICIES}` } },
      spec: { nodeName: `node-${k % NODES}`, containers: [] },
      status: { phase: 'Running', podIP: `2001:db8:a::${k.toString(16)}`, podIPs: [{ ip: `2001:db8:a::${k.toString(16)}` }] },
    })),
    nodes: Array.from({ length: NODES }, (_, n) => ({
      metadata: { name: `node-${n}`, labels: n < GATEWAYS ? { 'staticegress.io/gateway': '' } : {} },
      status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${(n % 250) + 1}` }], conditions: [{ type: 'Ready', status: 'True' }] },
    })),
    policies: Array.from({ length: POLICIES }, (_, p) => ({
      apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
      metadata: { name: `pol-${p}`, namespace: `ns-${p % NAMESPACES}`, uid: `pol-${p}`, generation: 1, creationTimestamp: new Date(t.getTime() + p) },
      spec: { egressIPs: [ip(p)], podSelector: { matchLabels: { app: `app-${p}` } }, destinationCIDRs: ['198.51.100.0/24'] },
      status: { assignments: [{ egressIP: ip(p), node: `node-${p % GATEWAYS}` }] },
    })),
    clusterPolicies: [],
    pools: [{ metadata: { name: 'bench' }, spec: { cidrs: [{ cidr: '198.18.0.0/15' }], namespaceSelector: { matchLabels: { egress: 'allowed' } },
      nodeSelector: { matchLabels: { 'staticegress.io/gateway': '' } }, maxIPsPerNode: 1_000 } }],
    services: [],
    namespaces: Array.from({ length: NAMESPACES }, (_, n) => ({ metadata: { name: `ns-${n}`, labels: { egress: 'allowed' } } })),
  } as unknown as ClusterSnapshot;
}

/**
 * The scale lab's shape (bench/lab/scale.ts): 10,000 IPv6 pods on 5,000 Nodes and 10,000 policies in a
 * pool no node qualifies for — every policy unplaced, so every policy's status is computed with its
 * unplaced IPs (the per-policy filter of the whole unplaced list was 10⁸ steps before issue 16 §4).
 */
export function unplaceableSnapshot(): ClusterSnapshot {
  const base = scaleSnapshot(POLICIES) as unknown as { policies: { spec: { egressIPs: string[]; destinationCIDRs?: string[] }; status?: unknown }[]; pools: unknown[] };
  base.policies.forEach((p, k) => { p.spec.egressIPs = [`2001:db8:e::${(k + 1).toString(16)}`]; delete p.spec.destinationCIDRs; delete p.status; });
  base.pools = [{ metadata: { name: 'scale' }, spec: { cidrs: [{ cidr: '2001:db8:e::/112' }], namespaceSelector: { matchLabels: { egress: 'allowed' } },
    nodeSelector: { matchLabels: { 'bench.static-egress/none': 'x' } } } }];
  return base as unknown as ClusterSnapshot;
}

/** CPU ms (user + system) of the median of `runs` calls, after one warm-up call. */
async function cpuMedian(runs: number, fn: () => unknown): Promise<number> {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    t.push((d.user + d.system) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const pods = opts.quick ? 25_000 : 100_000;
  const snap = scaleSnapshot(pods);
  const health = { verdicts: new Map(Array.from({ length: GATEWAYS }, (_, n) => [`node-${n}`, true] as const)), held: new Map() };
  let statuses = 0;
  const parse = await timeMedian(3, async () => { parseClusterView(snap); });
  const pass = await timeMedian(3, async () => {
    statuses = computeManagerPass(parseClusterView(snap), emptyMemory, health, 1_700_000_100_000).statuses.length;
  });
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  const lab = unplaceableSnapshot();
  const labParseCpu = await cpuMedian(3, () => parseClusterView(lab));
  const labPassCpu = await cpuMedian(3, () => computeManagerPass(parseClusterView(lab), emptyMemory, health, 1_700_000_100_000));
  return {
    name: 'manager-pass-scale',
    figures: [figure({
      name: `manager full pass, the scale lab's shape: ${POLICIES} IPv6 pods / ${NODES} Nodes / ${POLICIES} policies none can be placed (CPU ms, median of 3 after a warm-up)`,
      unit: 'ms', value: Math.round(labPassCpu), baseline: { name: 'parseClusterView alone (CPU ms)', value: Math.round(labParseCpu) }, target: '≤ 1 s', met: labPassCpu <= 1000,
    }), figure({
      name: `manager full pass, ${pods} pods / ${NODES} Nodes (${GATEWAYS} gateways) / ${POLICIES} policies (median of 3)`, unit: 'ms', value: Math.round(pass),
      baseline: { name: 'parseClusterView alone', value: Math.round(parse) }, target: '≤ 1 s', met: pass <= 1000,
      details: { statuses, heapMBAfter: Math.round(heapMB) },
    })],
  };
}
