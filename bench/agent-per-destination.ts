// Agent full apply with per-destination policies and zones (issue 9), beside the existing shape in the
// same run. Each run, in fresh network namespaces: the existing input (760 policies × ~13 pods, one
// policy per pod — agent-programming's figure), then
//   per-destination: the same 760 policies and 10,000 pods, each pod selected by 2–3 policies with
//     different destination CIDRs (≈ 25,000 set memberships, 2–3 mark rules per director);
//   zones: 253 policies × 3 egress IPs, one per zone (759 IPs, the address space's limit), held in
//     zones a/b/c, this node in zone a so its pods pin to the zone-a IPs, per-destination as above;
// each beside its hand-written minimal floor (agent-programming's baselineTexts, one mark rule per
// (set, prefix)). `npm run bench -- --only agent-per-destination`.
import { pinEgressIP } from '@static-egress/crds';
import { computeNodeState } from '../packages/node-agent/src/desired/compute.js';
import type { NodeState, NodeStateInput } from '../packages/node-agent/src/desired/types.js';
import { benchInput, docIP, measureAgent, measureBaseline, type KernelRuns } from './agent-programming.js';
import { perDestinationAgentInput } from './lib/per-destination-inputs.js';
import { percentile } from './lib/stats.js';
import { figure, type BenchOptions, type BenchResult, type Figure } from './lib/types.js';

const PODS = 10_000;

interface Variant {
  name: string;
  state: NodeState;
  withExtra: NodeState;
  /** what the linear extrapolation to 1,000 scales by (policies, or egress IPs for the zoned variant) */
  per: { what: string; count: number };
  k: KernelRuns;
}

function emptyRuns(): KernelRuns {
  return { agentFull: [], agentRender: [], incr: [], incrRender: [], incrKernelRuns: [], baseFull: [], baseIncr: [], sameFull: [], createCold: [], createWarm: [], phases: [], driverRSS: 0 };
}

/** A state and the same with one pod more (a fresh pod IP, so a set gains a member), slots kept. */
function variant(name: string, build: (extra: boolean) => NodeStateInput, per: Variant['per']): Variant {
  const state = computeNodeState(build(false));
  const extra = build(true);
  const last = extra.pods.at(-1)!;
  extra.pods[extra.pods.length - 1] = { ...last, podIP: '192.0.2.254' };
  const withExtra = computeNodeState({ ...extra, previousSlots: new Map(state.director.map((d) => [d.egressIP, d.slot])) });
  return { name, state, withExtra, per, k: emptyRuns() };
}

/** The director and leak-guard sets (one per pod class) and their members. */
function sets(s: NodeState): { sets: number; members: number } {
  const all = [...s.directorClasses, ...s.guardClasses];
  return { sets: all.length, members: all.reduce((n, c) => n + c.podIPs.length, 0) };
}

const med = (v: number[]) => percentile(v, 50);

function figuresOf(v: Variant, existingMs: number): Figure[] {
  const full = med(v.k.agentFull);
  const base = med(v.k.baseFull);
  const rules = v.state.director.reduce((n, d) => n + d.destinationCIDRs.length, 0);
  const scaled = (ms: number) => (ms / v.per.count) * 1000;
  const incr = med(v.k.incrKernelRuns);
  return [
    figure({ name: `full apply from empty, ${v.name} (${v.state.director.length} directors, ${sets(v.state).sets} pod sets with ${sets(v.state).members} members, ${rules} destination rules)`, unit: 'ms', value: full,
      baseline: { name: 'the existing shape (760 policies, one per pod), same run', value: existingMs },
      details: { runs: v.k.agentFull, renderMs: v.k.agentRender, phasesMs: v.k.phases.filter((_, i) => i % 2 === 0) } }),
    figure({ name: `full apply, ${v.name}, beside its hand-written minimal floor`, unit: 'ms', value: full,
      baseline: { name: 'hand-written minimal ipset restore + iptables-restore + ip -batch of the same directors', value: base }, details: { baselineRuns: v.k.baseFull } }),
    figure({ name: `full apply, ${v.name}, extrapolated to 1,000 ${v.per.what} (linear)`, unit: 'ms', value: scaled(full),
      baseline: { name: 'minimal floor, extrapolated the same way', value: scaled(base) }, target: '≤ 1000 ms', met: scaled(full) <= 1000 }),
    figure({ name: `incremental, ${v.name}: one pod added (2–3 policies), kernel work`, unit: 'ms', value: incr,
      baseline: { name: 'one `ipset restore` of a single add', value: med(v.k.baseIncr) }, target: '≤ 10 ms', met: incr <= 10,
      details: { kernelRuns: v.k.incrKernelRuns, totalSyncRuns: v.k.incr } }),
  ];
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const runs = opts.quick ? 3 : 7;
  const existing = computeNodeState(benchInput(760, PODS, docIP));
  const existingExtra = computeNodeState({ ...benchInput(760, PODS, docIP, true), previousSlots: new Map(existing.director.map((d) => [d.egressIP, d.slot])) });
  const variants = [
    variant('per-destination: 760 policies, 10,000 pods × 2–3 policies', (x) => perDestinationAgentInput(760, 1, PODS, pinEgressIP, x), { what: 'policies', count: 760 }),
    variant('per-destination + 3 zones: 253 policies × 3 IPs, 10,000 pods × 2–3 policies', (x) => perDestinationAgentInput(253, 3, PODS, pinEgressIP, x), { what: 'egress IPs', count: 759 }),
  ];
  const base = emptyRuns();
  for (let i = 0; i < runs; i++) {
    await measureAgent(existing, existingExtra, base);
    for (const v of variants) {
      await measureAgent(v.state, v.withExtra, v.k);
      await measureBaseline(v.state, v.withExtra, v.k);
    }
  }
  const existingMs = med(base.agentFull);
  return { name: 'agent-per-destination', figures: variants.flatMap((v) => figuresOf(v, existingMs)) };
}
