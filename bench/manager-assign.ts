// Manager scale: assign 1,000 policies × 3 IPs over 100 nodes from nothing, then reassign after one
// node loss (issue 5); assign 10,000 policies × 3 IPs over 1,000 nodes from nothing (issue 8), and
// the same with the pool's cidrs in 3 zones, each IP held only in its zone (issue 9), and with one
// IPv6 IP per policy (issue 11: each family spread on its own).
// Baseline, same run: a naive round-robin over the same IPs that honours no invariant — the floor
// cost of touching every IP once. Per-destination policies (issue 9) never reach placement; they
// change the pods' selection (selectPods, every pass of both daemons): 10,000 pods each selected by
// 2–3 policies with different destinations, beside one policy each in the same run.
import { selectPods } from '@static-egress/crds';
import { assignEgressIPs, type AssignInput } from '@static-egress/gateway-manager/assign';
import { selectionInput } from './lib/per-destination-inputs.js';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';
import { timeMedian } from './lib/stats.js';

export function scaleInput(policies: number, ipsPerPolicy: number, nodes: number): AssignInput {
  const ips = (p: number, i: number) => {
    const n = p * ipsPerPolicy + i; // 30,000 IPs do not fit 192.0.2.0/24; these strings never leave this process (no kernel, no wire)
    return `198.18.${Math.floor(n / 256)}.${n % 256}`;
  };
  return {
    policies: Array.from({ length: policies }, (_, p) => ({
      key: `ns${p % 50}/policy-${p}`,
      createdAt: 1_700_000_000_000 + p,
      ips: Array.from({ length: ipsPerPolicy }, (_, i) => ({ ip: ips(p, i), pool: 'bench' })),
    })),
    pools: [{ name: 'bench', maxIPsPerNode: 64 }],
    nodes: Array.from({ length: nodes }, (_, n) => ({ name: `node-${n}`, labels: {}, annotations: {}, ready: true, cordoned: false })),
    health: new Map(Array.from({ length: nodes }, (_, n) => [`node-${n}`, true] as const)),
    previous: new Map(),
    capacityAnnotation: 'staticegress.io/max-egress-ips',
  };
}

/** scaleInput with the pool's addresses in zones a, b, c (four /19s) and the nodes spread over them. */
export function zonedInput(policies: number, ipsPerPolicy: number, nodes: number): AssignInput {
  const base = scaleInput(policies, ipsPerPolicy, nodes);
  const zones = ['a', 'b', 'c'];
  return {
    ...base,
    pools: [{ name: 'bench', maxIPsPerNode: 64, cidrs: [0, 32, 64, 96].map((o, i) => ({ cidr: `198.18.${o}.0/19`, zone: zones[i % 3]! })) }],
    nodes: base.nodes.map((n, i) => ({ ...n, labels: { 'topology.kubernetes.io/zone': zones[i % 3]! } })),
  };
}

/** scaleInput where each policy's last IP is IPv6 (issue 11: 2001:db8::/32 text, never leaving the process). */
export function dualStackInput(policies: number, ipsPerPolicy: number, nodes: number): AssignInput {
  const base = scaleInput(policies, ipsPerPolicy, nodes);
  return {
    ...base,
    policies: base.policies.map((p, i) => ({
      ...p, ips: p.ips.map((x, j) => (j === ipsPerPolicy - 1 ? { ...x, ip: `2001:db8::${i.toString(16)}` } : x)),
    })),
  };
}

function roundRobin(input: AssignInput): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  for (const p of input.policies) for (const { ip } of p.ips) out.set(ip, input.nodes[i++ % input.nodes.length]!.name);
  return out;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const runs = opts.quick ? 5 : 21;
  const input = scaleInput(1000, 3, 100);
  const full = await timeMedian(runs, () => assignEgressIPs(input));
  const baselineFull = await timeMedian(runs, () => roundRobin(input));

  const first = assignEgressIPs(input).assignments;
  const lost = new Map(input.health);
  lost.set('node-7', false);
  const afterLoss: AssignInput = { ...input, previous: first, health: lost };
  const reassign = await timeMedian(runs, () => assignEgressIPs(afterLoss));
  const moved = [...first].filter(([, n]) => n === 'node-7').length;
  const baselineReassign = await timeMedian(runs, () => roundRobin(afterLoss));

  const large = scaleInput(10_000, 3, 1_000);
  const fullLarge = await timeMedian(runs, () => assignEgressIPs(large));
  const baselineLarge = await timeMedian(runs, () => roundRobin(large));
  const zoned = zonedInput(10_000, 3, 1_000);
  const fullZoned = await timeMedian(runs, () => assignEgressIPs(zoned));
  const dual = dualStackInput(10_000, 3, 1_000);
  const fullDual = await timeMedian(runs, () => assignEgressIPs(dual));
  const one = selectionInput(10_000, 10_000, 1);
  const perDestination = selectionInput(10_000, 10_000, 'per-destination');
  const selectOne = await timeMedian(runs, () => selectPods(one.policies, one.pods, []));
  const selectPerDestination = await timeMedian(runs, () => selectPods(perDestination.policies, perDestination.pods, []));
  return {
    name: 'manager-assign',
    figures: [
      figure({ name: 'assign 1,000 policies × 3 IPs over 100 nodes', unit: 'ms', value: full,
        baseline: { name: 'naive round-robin, same input', value: baselineFull }, target: '≤ 100 ms', met: full <= 100 }),
      figure({ name: `reassign after one node loss (${moved} IPs moved)`, unit: 'ms', value: reassign,
        baseline: { name: 'naive round-robin, same input', value: baselineReassign }, target: '≤ 10 ms', met: reassign <= 10 }),
      figure({ name: 'assign 10,000 policies × 3 IPs over 1,000 nodes', unit: 'ms', value: fullLarge,
        baseline: { name: 'naive round-robin, same input', value: baselineLarge }, target: '≤ 100 ms', met: fullLarge <= 100 }),
      figure({ name: 'assign 10,000 policies × 3 IPs over 1,000 nodes, 3 zones', unit: 'ms', value: fullZoned,
        baseline: { name: 'naive round-robin, same input', value: baselineLarge }, target: '≤ 100 ms', met: fullZoned <= 100 }),
      figure({ name: 'assign 10,000 policies × 3 IPs over 1,000 nodes, dual-stack (one IPv6 IP each)', unit: 'ms', value: fullDual,
        baseline: { name: 'the same, IPv4 only (above)', value: fullLarge }, target: '≤ 100 ms', met: fullDual <= 100 }),
      figure({ name: 'select 10,000 pods, each by 2–3 policies with different destinations (10,000 policies in 50 namespaces)', unit: 'ms', value: selectPerDestination,
        baseline: { name: 'the same pods, one policy each', value: selectOne } }),
    ],
  };
}
