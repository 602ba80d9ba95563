// Per-destination selection (issue 9): a pod may be selected by several policies; each packet uses
// the one whose destination matches it most specifically. The one rule, used by the manager's
// conflict reporting (computePodSelection), the agent's kernel rule order (computePodRoutes over
// all policies) and the CLI's trace (resolveDestination). Pure. The rule, as docs/CONTRACTS.md
// states it:
//   1. a policy applies to a destination inside one of its destinationCIDRs (none: 0.0.0.0/0) and
//      outside all of its excludedCIDRs — an excluded CIDR only takes that policy out, so a less
//      specific policy of the pod may still apply there;
//   2. among the policies that apply, the one with the longest matching destination prefix wins;
//   3. on an identical prefix, the first by comparePolicyPrecedence (namespaced before cluster-wide,
//      then older: creationTimestamp, namespace, name) wins, and the other gets a PodConflict.
import { cidrContainsIP, cidrNetwork, compareIPs, parseCIDR } from '../ip/index.js';
import { splitKey } from './keys.js';
import { comparePolicyPrecedence } from './precedence.js';
import type { DestinationConflict, PodSelection, Policy } from './types.js';

/** What the rule needs of a policy; namespace and name come from the key, createdAt defaults to 0. */
export type RoutePolicy = Pick<Policy, 'key' | 'destinationCIDRs' | 'excludedCIDRs'> & Partial<Pick<Policy, 'createdAt' | 'scope'>>;

/** One (prefix → policy) step of a pod's routing: the first that applies to a packet decides it. */
export interface DestinationRoute {
  /** Canonical network text, e.g. 198.51.100.0/24. */
  cidr: string;
  prefix: number;
  policyKey: string;
}

const DEFAULT_DESTINATIONS: readonly string[] = ['0.0.0.0/0'];

/** A policy's destinations, canonical, without duplicates; none means everywhere. */
export function effectiveDestinations(p: Pick<Policy, 'destinationCIDRs'>): string[] {
  const list = p.destinationCIDRs.length > 0 ? p.destinationCIDRs : DEFAULT_DESTINATIONS;
  return [...new Set(list.map(cidrNetwork))];
}

function rank(p: RoutePolicy): Parameters<typeof comparePolicyPrecedence>[0] {
  return { createdAt: p.createdAt ?? 0, ...splitKey(p.key), ...(p.scope ? { scope: p.scope } : {}) };
}

/** Negative when route `a` is tried first: longer prefix, then policy precedence, then address. */
function compareRoutes(a: { route: DestinationRoute; policy: RoutePolicy }, b: { route: DestinationRoute; policy: RoutePolicy }): number {
  if (a.route.prefix !== b.route.prefix) return b.route.prefix - a.route.prefix;
  const byPolicy = comparePolicyPrecedence(rank(a.policy), rank(b.policy));
  if (byPolicy !== 0) return byPolicy;
  if (a.route.policyKey !== b.route.policyKey) return a.route.policyKey < b.route.policyKey ? -1 : 1;
  return compareIPs(a.route.cidr.split('/')[0]!, b.route.cidr.split('/')[0]!);
}

/**
 * The ordered (prefix → policy) list for a pod selected by `policies`: a packet takes the first
 * route whose CIDR contains its destination and whose policy does not exclude it. A total order, so
 * the list over any set of policies is the same order restricted to them: the agent orders its
 * kernel rules by the list over all its policies and each pod still sees its own list.
 */
export function computePodRoutes(policies: readonly RoutePolicy[]): DestinationRoute[] {
  const all = policies.flatMap((policy) =>
    effectiveDestinations(policy).map((cidr) => ({ policy, route: { cidr, prefix: Number(cidr.split('/')[1]), policyKey: policy.key } })));
  return all.sort(compareRoutes).map((x) => x.route);
}

function contains(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  return typeof c === 'object' && cidrContainsIP(c, ip);
}

/** Whether `policy` leaves `dst` out (the CIDR that does), so a less specific policy may apply. */
export function excludedBy(policy: Pick<Policy, 'excludedCIDRs'>, dst: string): string | undefined {
  return policy.excludedCIDRs.find((c) => contains(c, dst));
}

/** The route a packet to `dst` from a pod selected by `policies` takes; undefined: none applies (node IP). */
export function resolveDestination(policies: readonly RoutePolicy[], dst: string): DestinationRoute | undefined {
  const byKey = new Map(policies.map((p) => [p.key, p]));
  return computePodRoutes(policies).find((r) => contains(r.cidr, dst) && excludedBy(byKey.get(r.policyKey)!, dst) === undefined);
}

/**
 * The identical-prefix overlaps among a pod's policies: for each destination prefix two or more of
 * them name, the first by precedence wins and each other is a loser naming it.
 */
export function computeDestinationConflicts(policies: readonly RoutePolicy[]): DestinationConflict[] {
  const winnerOf = new Map<string, string>();
  const out: DestinationConflict[] = [];
  for (const r of computePodRoutes(policies)) {
    const winner = winnerOf.get(r.cidr);
    if (winner === undefined) winnerOf.set(r.cidr, r.policyKey);
    else out.push({ winner, loser: r.policyKey, cidr: r.cidr });
  }
  return out;
}

/** A pod's selection from the policies that select it: all of them, in precedence order, and their identical-prefix conflicts. */
export function computePodSelection(matching: readonly RoutePolicy[]): PodSelection {
  const sorted = [...matching].sort((a, b) => comparePolicyPrecedence(rank(a), rank(b)));
  return { policyKeys: sorted.map((p) => p.key), conflicts: sorted.length > 1 ? computeDestinationConflicts(sorted) : [] };
}
