// Per-destination selection (issue 9) as properties: resolveDestination equals the rule written out
// by brute force (every policy that applies, the longest matching prefix, then precedence), in any
// input order; on an identical prefix the preceding policy wins and the other is a conflict; an
// excluded destination hands the packet to the next policy, never to the excluding one.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContainsIP, parseCIDR } from '../ip/index.js';
import { comparePolicyPrecedence } from './precedence.js';
import { computeDestinationConflicts, computePodRoutes, resolveDestination, type RoutePolicy } from './destinations.js';

const RUNS = 1000;
/** Nested and sibling prefixes, so specificity and ties both happen often. */
export const CIDRS = [
  '0.0.0.0/0', '198.51.100.0/24', '198.51.100.0/25', '198.51.100.128/25', '198.51.100.0/26', '198.51.100.64/26',
  '198.51.100.7/32', '198.51.100.200/32', '192.0.2.0/24',
];
export const destinationArb = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((i) => `198.51.100.${i}`),
  fc.constantFrom('198.51.100.7', '198.51.100.200', '192.0.2.9', '203.0.113.9'),
);

export const policiesArb: fc.Arbitrary<RoutePolicy[]> = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    namespace: fc.constantFrom('shop', 'blog', ''),
    createdAt: fc.integer({ min: 0, max: 3 }),
    destinationCIDRs: fc.subarray(CIDRS, { maxLength: 3 }),
    excludedCIDRs: fc.subarray(CIDRS.slice(1), { maxLength: 2 }),
  }),
  { minLength: 1, maxLength: 5, selector: (p) => `${p.namespace}/${p.name}` },
).map((ps) => ps.map((p) => ({
  key: p.namespace ? `${p.namespace}/${p.name}` : p.name,
  createdAt: p.createdAt,
  ...(p.namespace ? {} : { scope: 'Cluster' as const }),
  destinationCIDRs: p.destinationCIDRs,
  excludedCIDRs: p.excludedCIDRs,
})));

const has = (cidr: string, ip: string) => cidrContainsIP(parseCIDR(cidr) as Exclude<ReturnType<typeof parseCIDR>, string>, ip);
const precede = (a: RoutePolicy, b: RoutePolicy) => {
  const rank = (p: RoutePolicy) => ({ createdAt: p.createdAt ?? 0, namespace: p.key.includes('/') ? p.key.split('/')[0]! : '', name: p.key.split('/').pop()!, ...(p.scope ? { scope: p.scope } : {}) });
  return comparePolicyPrecedence(rank(a), rank(b));
};

/** The rule as docs/CONTRACTS.md words it, without the route list. */
function bruteForce(policies: readonly RoutePolicy[], dst: string): string | undefined {
  let best: { policy: RoutePolicy; prefix: number } | undefined;
  for (const p of policies) {
    if (p.excludedCIDRs.some((c) => has(c, dst))) continue;
    const dsts = p.destinationCIDRs.length ? p.destinationCIDRs : ['0.0.0.0/0'];
    const prefixes = dsts.filter((c) => has(c, dst)).map((c) => Number(c.split('/')[1]));
    if (prefixes.length === 0) continue;
    const prefix = Math.max(...prefixes);
    if (!best || prefix > best.prefix || (prefix === best.prefix && precede(p, best.policy) < 0)) best = { policy: p, prefix };
  }
  return best?.policy.key;
}

describe('per-destination selection (properties)', () => {
  it('resolveDestination is the most specific applying policy, then the preceding one, in any input order', () => {
    fc.assert(fc.property(
      policiesArb.chain((ps) => fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length }))), destinationArb,
      ([policies, shuffled], dst) => {
        const got = resolveDestination(policies, dst);
        assert.equal(got?.policyKey, bruteForce(policies, dst));
        assert.deepEqual(resolveDestination(shuffled, dst), got);
        assert.deepEqual(computePodRoutes(shuffled), computePodRoutes(policies));
      },
    ), { numRuns: RUNS });
  });

  it('the route list over all policies, restricted to a pod\'s, is that pod\'s list (the agent orders its kernel rules by it)', () => {
    fc.assert(fc.property(policiesArb.chain((ps) => fc.tuple(fc.constant(ps), fc.subarray(ps))), ([all, mine]) => {
      const keys = new Set(mine.map((p) => p.key));
      assert.deepEqual(computePodRoutes(all).filter((r) => keys.has(r.policyKey)), computePodRoutes(mine));
    }), { numRuns: RUNS });
  });

  it('an identical prefix goes to the older policy; the younger is a conflict naming it', () => {
    fc.assert(fc.property(fc.constantFrom(...CIDRS), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 5 }), destinationArb, (cidr, t, dt, dst) => {
      const older = { key: 'shop/x', createdAt: t, destinationCIDRs: [cidr], excludedCIDRs: [] };
      const younger = { key: 'shop/a', createdAt: t + dt, destinationCIDRs: [cidr], excludedCIDRs: [] };
      assert.equal(resolveDestination([younger, older], dst)?.policyKey, has(cidr, dst) ? 'shop/x' : undefined);
      assert.deepEqual(computeDestinationConflicts([younger, older]), [{ winner: 'shop/x', loser: 'shop/a', cidr }]);
    }), { numRuns: RUNS });
  });

  it('a policy never applies where it excludes the destination; conflicts are exactly the shared prefixes', () => {
    fc.assert(fc.property(policiesArb, destinationArb, (policies, dst) => {
      const got = resolveDestination(policies, dst);
      const policy = policies.find((p) => p.key === got?.policyKey);
      if (policy) assert.ok(!policy.excludedCIDRs.some((c) => has(c, dst)));
      const conflicts = computeDestinationConflicts(policies);
      for (const c of conflicts) {
        const [w, l] = [policies.find((p) => p.key === c.winner)!, policies.find((p) => p.key === c.loser)!];
        assert.ok(precede(w, l) < 0, 'the winner precedes');
      }
      const shared = new Set<string>();
      for (const a of policies) for (const b of policies) {
        if (a === b) continue;
        const da = a.destinationCIDRs.length ? a.destinationCIDRs : ['0.0.0.0/0'];
        const db = b.destinationCIDRs.length ? b.destinationCIDRs : ['0.0.0.0/0'];
        for (const c of da) if (db.includes(c) && precede(a, b) > 0) shared.add(`${a.key} ${c}`);
      }
      assert.deepEqual(new Set(conflicts.map((c) => `${c.loser} ${c.cidr}`)), shared);
    }), { numRuns: RUNS });
  });
});
