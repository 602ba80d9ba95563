// Properties of plan() over random pairs of desired states (policies, assignments, pods, mode,
// fencing): the plan keeps the safety order against the kernel as we left it and against a kernel
// damaged by hand; executed on the fake kernel it reaches the desired state, and at every table
// commit on the way each pod protected before and after stays marked, SNATed or guarded.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput, perDestinationInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import type { NodeStateInput, PolicyView } from '../desired/types.js';
import { createFakeKernel, type FakeKernel } from '../kernel/fake.js';
import { NodeSyncer, readKernelView } from '../reconcile/syncer.js';
import { renderState } from '../render/state.js';
import type { RenderConfig, RenderedState } from '../render/types.js';
import { modelOf } from './damage.js';
import { plan } from './plan.js';
import { planViolations } from './safety.js';

const RUNS = Number(process.env.PLAN_RUNS ?? 200);
const render: RenderConfig = RENDER_FIXTURE;
const ranges = fixtureInput().ranges;
const base = fixtureInput();
const IPS = base.policies.flatMap((p) => p.egressIPs);
const PODS = base.pods.filter((p) => p.podIP).map((p) => p.podIP!);

const stateArb: fc.Arbitrary<RenderedState> = fc.record({
  mode: fc.constantFrom('direct' as const, 'vxlan' as const),
  fenced: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  policies: fc.subarray([0, 1, 2], { minLength: 1 }),
  owners: fc.array(fc.constantFrom('n1', 'n2', 'n3', null), { minLength: IPS.length, maxLength: IPS.length }),
  pods: fc.array(fc.constantFrom('n1', 'n2', 'n3', null), { minLength: base.pods.length, maxLength: base.pods.length }),
  // per-destination selection (issue 9): the web pods in db's and api's sets
  perDestination: fc.boolean(),
}).map(({ mode, fenced, policies, owners, pods, perDestination }) => {
  const owner = new Map(IPS.map((ip, i) => [ip, owners[i]]));
  const over: Partial<NodeStateInput> = {
    mode, fenced,
    policies: policies.map((i): PolicyView => {
      const p = base.policies[i]!;
      return { ...p, assignments: new Map(p.egressIPs.flatMap((ip) => (owner.get(ip) ? [[ip, owner.get(ip)!] as const] : []))) };
    }),
    pods: base.pods.flatMap((p, i) => (pods[i] ? [{ ...p, nodeName: pods[i]! }] : [])),
  };
  return renderState(computeNodeState((perDestination ? perDestinationInput : fixtureInput)(over)), render);
});

/** Hand damage: a flushed chain, a lost rule, route, address or member, a stray set of ours. */
const damageArb = fc.subarray(['chain', 'rule', 'route', 'address', 'member', 'stray'] as const);

function damage(k: FakeKernel, kinds: readonly string[]): void {
  if (kinds.includes('chain')) k.iptables.tables.mangle!.set('SEGRESS-MARK', []);
  if (kinds.includes('rule')) k.rules.rules.pop();
  if (kinds.includes('route')) k.routes.routes.shift();
  if (kinds.includes('address')) k.addresses.addrs = [];
  if (kinds.includes('member')) for (const s of k.ipset.sets.values()) { s.members.clear(); break; }
  if (kinds.includes('stray')) k.ipset.sets.set('segress-d-c00002ff', { type: 'hash:ip', members: new Set(['203.0.113.99']) });
}

/** The fate of an unmarked NEW packet of `pod` to an outside destination, as the tables stand. */
function fate(k: FakeKernel, pod: string): 'marked' | 'snat' | 'guarded' | 'open' {
  const inSet = (rule: string) => { const m = /--match-set (\S+) src/.exec(rule); return !!m && !!k.ipset.sets.get(m[1]!)?.members.has(pod); };
  if ((k.iptables.tables.mangle!.get('SEGRESS-MARK') ?? []).some(inSet)) return 'marked';
  const first = (k.iptables.tables.filter!.get('SEGRESS-FWD') ?? []).find((r) => inSet(r) && !r.includes(' dst '));
  if (!first) return 'open';
  if (/-j SEGRESS-[LQ]-/.test(first)) return 'guarded'; // a guard, or a guard class's chain of guards
  const set = /--match-set (\S+) src/.exec(first)![1]!;
  return (k.iptables.tables.nat!.get('SEGRESS-SNAT') ?? []).some((r) => r.includes(`--match-set ${set} src`)) ? 'snat' : 'open';
}

/** The fake kernel's state, independent of the order objects were created in. */
function dump(k: FakeKernel): string {
  const chains = Object.entries(k.iptables.tables).map(([t, m]) => [t, [...m].sort(([a], [b]) => (a < b ? -1 : 1))]);
  const sets = [...k.ipset.sets].map(([n, s]) => [n, s.type, [...s.members].sort()]).sort();
  const key = (x: unknown) => JSON.stringify(x);
  return key([chains, sets, k.rules.rules.map(key).sort(), k.routes.routes.map(key).sort(), k.addresses.addrs.map(key).sort(),
    k.vxlan.state.device, k.vxlan.state.neighbors.map(key).sort(), k.vxlan.state.fdb.map(key).sort()]);
}

describe('plan (properties)', () => {
  it('keeps the safety order from the kernel as we left it', () => {
    fc.assert(fc.property(stateArb, stateArb, (a, b) => {
      const current = modelOf(a);
      const p = plan(b, current, { render, inPlaceMembers: true, knownAddresses: new Set(a.addresses.map((x) => x.ip)) });
      assert.deepEqual(planViolations(p.ops, current, b, render), []);
    }), { numRuns: RUNS });
  });

  it('keeps the safety order from a kernel damaged by hand', async () => {
    await fc.assert(fc.asyncProperty(stateArb, stateArb, damageArb, async (a, b, kinds) => {
      const k = createFakeKernel(['eth0']);
      const s = new NodeSyncer(k, { render, ranges });
      await s.sync(a);
      damage(k, kinds);
      const current = await readKernelView(k, { render, ranges });
      const p = plan(b, current, { render, inPlaceMembers: true, knownAddresses: new Set(a.addresses.map((x) => x.ip)) });
      assert.deepEqual(planViolations(p.ops, current, b, render), []);
    }), { numRuns: RUNS });
  });

  it('executed, reaches the desired state; a pod protected before and after is protected at every commit', async () => {
    await fc.assert(fc.asyncProperty(stateArb, stateArb, async (a, b) => {
      const k = createFakeKernel(['eth0']);
      const s = new NodeSyncer(k, { render, ranges });
      await s.sync(a);
      const before = PODS.map((p) => fate(k, p));
      const seen: string[][] = [];
      k.iptables.onCommit = (table) => seen.push([table, ...PODS.map((p) => fate(k, p))]);
      await s.sync(b);
      k.iptables.onCommit = undefined;
      const after = PODS.map((p) => fate(k, p));
      const fresh = createFakeKernel(['eth0']);
      await new NodeSyncer(fresh, { render, ranges }).sync(b);
      assert.equal(dump(k), dump(fresh));
      for (const [table, ...fates] of seen) {
        PODS.forEach((pod, i) => {
          if (before[i] !== 'open' && after[i] !== 'open') assert.notEqual(fates[i], 'open', `${pod} open after the ${table} commit`);
        });
      }
    }), { numRuns: RUNS });
  });
});
