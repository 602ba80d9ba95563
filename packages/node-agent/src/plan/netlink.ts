// Diffs of rules, routes and the tunnel: what is missing, what is stale. Pure.
import type { RouteIntent, RuleIntent, VxlanIntent } from '../render/types.js';

export const ruleKey = (r: RuleIntent) => `${r.priority}|${r.fwmark}|${r.fwmask}|${r.table}`;
export const routeKey = (r: RouteIntent) => `${r.table}|${r.type}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.onlink}|${r.dst ?? ''}|${r.metric ?? ''}`;
/** What a route replace overwrites in place: same table, destination and metric. */
export const routeSlot = (r: RouteIntent) => `${r.table}|${r.dst ?? ''}|${r.metric ?? ''}`;

/** The items of `want` whose key `have` lacks. */
export function missing<T>(want: readonly T[], have: readonly T[], key: (x: T) => string): T[] {
  const h = new Set(have.map(key));
  return want.filter((x) => !h.has(key(x)));
}

/** Routes of ours whose slot no desired route replaces (a wanted table is replaced, never emptied). */
export function staleRoutes(want: readonly RouteIntent[], have: readonly RouteIntent[]): RouteIntent[] {
  const slots = new Set(want.map(routeSlot));
  return have.filter((r) => !slots.has(routeSlot(r)));
}

/** Tunnel objects of `applied` that `have` lacks or holds differently. */
export function vxlanDamage(applied: VxlanIntent, have: VxlanIntent): number {
  let n = 0;
  if (applied.device && JSON.stringify(applied.device) !== JSON.stringify(have.device)) n++;
  n += missing(applied.neighbors, have.neighbors, (x) => `${x.ip}|${x.mac}`).length;
  n += missing(applied.fdb, have.fdb, (x) => `${x.mac}|${x.dst}|${x.via}`).length;
  return n;
}

/** Whether `have` holds tunnel objects `want` does not: the device, or neighbours and fdb entries. */
export function tunnelHasStale(want: VxlanIntent, have: VxlanIntent): boolean {
  if (!want.device) return !!have.device || have.neighbors.length > 0 || have.fdb.length > 0;
  const ips = new Set(want.neighbors.map((n) => n.ip));
  return have.neighbors.some((n) => !ips.has(n.ip)) || missing(have.fdb, want.fdb, (x) => `${x.mac}|${x.dst}|${x.via}`).length > 0;
}
