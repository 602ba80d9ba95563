// Per-destination selection in the kernel (issue 9): the rendered iptables rules, run by a tiny
// reference interpreter (mangle mark chain, then — unmarked — the nat SNAT chain), send each pod's
// packet where crds' resolveDestination says: marked for the director entry of the policy it
// resolves to, SNATed to that policy's egress IP where this node holds it, and untouched (node IP)
// where no policy applies. Random policies (nested, sibling and identical prefixes, exclusions),
// random selections, gateways here, elsewhere or nowhere.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContainsIP, parseCIDR, resolveDestination } from '@static-egress/crds';
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import type { NodeState, NodeStateInput, PolicyView } from '../desired/types.js';
import { renderState } from './state.js';
import type { IptablesChains, RenderConfig } from './types.js';

const RUNS = 500;
const cfg: RenderConfig = RENDER_FIXTURE;
const CIDRS = ['0.0.0.0/0', '198.51.100.0/24', '198.51.100.0/25', '198.51.100.128/25', '198.51.100.0/26', '198.51.100.7/32', '192.0.2.0/24'];
const PODS = ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13'];

const contains = (cidr: string, ip: string) => { const c = parseCIDR(cidr); return typeof c === 'object' && cidrContainsIP(c, ip); };

type Verdict = { mark: number } | { snat: string } | 'none';

/** Walks `chain` for a NEW packet src → dst; returns the mark it leaves with or the SNAT it meets. */
function run(chains: Map<string, string[]>, sets: Map<string, Set<string>>, chain: string, src: string, dst: string, state: { mark: number }): string | undefined {
  for (const rule of chains.get(chain) ?? []) {
    if (/--ctdir REPLY/.test(rule) || / -m mark --mark /.test(rule)) continue; // NEW packets; counting rules
    const d = / -d (\S+)/.exec(rule)?.[1];
    if (d && !contains(d, dst)) continue;
    const set = /--match-set (\S+) src/.exec(rule)?.[1];
    if (set && !sets.get(set)?.has(src)) continue;
    const target = / -j (\S+)(.*)$/.exec(rule);
    if (!target) continue;
    const [, t, args] = target;
    if (t === 'RETURN') return undefined;
    if (t === 'MARK') { state.mark = Number(/--set-xmark (0x[0-9a-f]+)\//.exec(args!)![1]); continue; }
    if (t === 'SNAT') return /--to-source (\S+)/.exec(args!)![1]!;
    const out = run(chains, sets, t!, src, dst, state);
    if (out !== undefined) return out;
  }
  return undefined;
}

function interpret(iptables: IptablesChains, sets: Map<string, Set<string>>, src: string, dst: string): Verdict {
  const state = { mark: 0 };
  run(iptables.mangle, sets, 'SEGRESS-MARK', src, dst, state);
  if (state.mark !== 0) return { mark: state.mark };
  const snat = run(iptables.nat, sets, 'SEGRESS-SNAT', src, dst, state);
  return snat ? { snat } : 'none';
}

const scenarioArb = fc.record({
  policies: fc.array(fc.record({
    createdAt: fc.integer({ min: 0, max: 2 }),
    destinationCIDRs: fc.subarray(CIDRS, { maxLength: 2 }),
    excludedCIDRs: fc.subarray(CIDRS.slice(1), { maxLength: 1 }),
    owner: fc.constantFrom('n1', 'n2', null),
  }), { minLength: 1, maxLength: 4 }),
  pods: fc.array(fc.record({ node: fc.constantFrom('n1', 'n2'), select: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }) }), { minLength: PODS.length, maxLength: PODS.length }),
  dst: fc.oneof(fc.integer({ min: 0, max: 255 }).map((i) => `198.51.100.${i}`), fc.constantFrom('198.51.100.7', '192.0.2.9', '8.8.8.8')),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): { input: NodeStateInput; policies: PolicyView[] } {
  const policies: PolicyView[] = s.policies.map((p, i) => {
    const ip = `192.0.2.${100 + i}`;
    return { key: `shop/p${i}`, createdAt: p.createdAt, egressIPs: [ip], destinationCIDRs: p.destinationCIDRs, excludedCIDRs: p.excludedCIDRs, assignments: new Map(p.owner ? [[ip, p.owner]] : []) };
  });
  const selection = new Map(s.pods.map((p, i) => [`shop/pod${i}`, policies.filter((_, j) => p.select[j]).map((x) => x.key)]));
  const input = fixtureInput({
    policies, selection,
    authorizedIPs: new Map(policies.map((p) => [p.key, p.egressIPs])),
    pods: s.pods.map((p, i) => ({ key: `shop/pod${i}`, uid: `u${i}`, nodeName: p.node, podIP: PODS[i]! })),
  });
  return { input, policies };
}

function expected(state: NodeState, policies: PolicyView[], input: NodeStateInput, pod: number, dst: string): Verdict | 'elsewhere' {
  const mine = policies.filter((p) => input.selection.get(`shop/pod${pod}`)!.includes(p.key));
  const route = resolveDestination(mine, dst);
  if (!route) return 'none';
  const policy = policies.find((p) => p.key === route.policyKey)!;
  const ip = policy.egressIPs[0]!;
  const owner = policy.assignments.get(ip);
  const local = input.pods[pod]!.nodeName === 'n1';
  if (owner === 'n1') return { snat: ip };
  if (!local) return 'elsewhere'; // a remote pod's packet to a gateway elsewhere never comes here
  return { mark: state.director.find((d) => d.egressIP === ip)!.mark };
}

describe('per-destination rule order (properties)', () => {
  it('the rendered mark and SNAT rules decide each packet as resolveDestination does', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const { input, policies } = build(s);
      const state = computeNodeState(input);
      const r = renderState(state, cfg);
      const sets = new Map(r.ipsets.map((x) => [x.name, new Set(x.members)]));
      PODS.forEach((src, i) => {
        const want = expected(state, policies, input, i, s.dst);
        if (want === 'elsewhere') return;
        // A remote pod no policy here applies to is never sent here either.
        if (want === 'none' && input.pods[i]!.nodeName !== 'n1') return;
        assert.deepEqual(interpret(r.iptables, sets, src, s.dst), want, `pod ${i} (${src} on ${input.pods[i]!.nodeName}) to ${s.dst}`);
      });
    }), { numRuns: RUNS });
  });
});
