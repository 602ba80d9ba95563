// The order of the per-destination rules (issue 9). A pod may be in the sets of several policies;
// each of its packets must take the policy crds' resolveDestination picks: the most specific
// destination, then the preceding policy, and a policy that excludes the destination steps aside.
// Rules are emitted per (entry, destination) in state.routes' order — the same total order as each
// pod's own computePodRoutes list — and an excluded destination RETURNs to the next rule. Pure.
import type { DestinationRoute } from '@static-egress/crds';

export interface RoutedEntry<T> {
  entry: T;
  /** The destination this rule matches (canonical; 0.0.0.0/0 matches everything). */
  cidr: string;
  /** Its route's index in state.routes: lower goes first. */
  rank: number;
}

/** Every entry once per destination of its policy, most specific first; one policy's entries in their given order. */
export function orderByRoute<T extends { policyKey: string }>(routes: readonly DestinationRoute[], entries: readonly T[]): RoutedEntry<T>[] {
  const byPolicy = new Map<string, T[]>();
  for (const e of entries) byPolicy.set(e.policyKey, [...(byPolicy.get(e.policyKey) ?? []), e]);
  return routes.flatMap((r, rank) => (byPolicy.get(r.policyKey) ?? []).map((entry) => ({ entry, cidr: r.cidr, rank })));
}
