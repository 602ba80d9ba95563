// Standby gateways (issue 16 §1): which egress IPs this node programs ahead — SNAT sets, chains and
// guard rules exactly as their holder's, without the address — so that taking one over is lease +
// address + GARP. Per IP, at most `perIP` nodes stand by: the eligible nodes (the manager's rule:
// Ready, not cordoned, not deleted, admitted by the IP's pool, in the IP's zone) in name order form a
// ring per (pool, zone); the IP's standbys are the first `perIP` of that ring from a hash of the IP on,
// the holder skipped. So each gateway stands by for ≈ perIP × its share of the IPs (bounded cost in a
// large cluster), and a node the manager picks outside them takes over the slower way (a full sync).
// Pure.
import {
  computeStandbyRing, computeStandbys, STANDBYS_PER_IP, zoneOfIPIn, type ClusterView, type NodeInfo, type Pool,
} from '@static-egress/crds';

export type StandbyView = Pick<ClusterView, 'nodes' | 'pools' | 'policies' | 'authorization'>;

const usable = (n: NodeInfo): boolean => n.ready && !n.cordoned && !n.deleted;

/**
 * Each IP's standbys (empty: none, or its pool unknown): the same ring the manager moves an IP along,
 * so a VXLAN director can have them as tunnel peers ahead (issue 16 §1: a takeover then changes its
 * route only).
 */
export function computeStandbyNodes(view: StandbyView, perIP = STANDBYS_PER_IP): (ip: string) => string[] {
  const pools = new Map(view.pools.map((p) => [p.name, p]));
  const poolOf = new Map<string, string>();
  for (const ips of view.authorization.values()) for (const a of ips) if (!a.problem && a.pool) poolOf.set(a.ip, a.pool);
  const holderOf = new Map<string, string>();
  for (const p of view.policies) for (const [ip, node] of p.assignments) holderOf.set(ip, node);
  const zones = new Map<string, (ip: string) => string | undefined>();
  const rings = new Map<string, string[]>();
  const ringOf = (pool: Pool, zone: string | undefined): string[] => {
    const key = `${pool.name}\n${zone ?? ''}`;
    let r = rings.get(key);
    if (!r) rings.set(key, r = computeStandbyRing(view.nodes, pool, zone));
    return r;
  };
  return (ip) => {
    const pool = pools.get(poolOf.get(ip) ?? '');
    if (!pool || perIP <= 0) return [];
    let zoneOf = zones.get(pool.name);
    if (!zoneOf) zones.set(pool.name, zoneOf = zoneOfIPIn(pool));
    // the ring is crds' (the manager prefers the same nodes when it moves the IP)
    return computeStandbys(ringOf(pool, zoneOf(ip)), ip, holderOf.get(ip), perIP);
  };
}

/**
 * Whether this node stands by for an IP; undefined when it may stand by for none (unknown, NotReady,
 * cordoned). `standbysOf`: computeStandbyNodes of the same view, when the caller has it already.
 */
export function computeStandby(
  view: StandbyView, nodeName: string, perIP = STANDBYS_PER_IP, standbysOf?: (ip: string) => string[],
): ((ip: string) => boolean) | undefined {
  const me = view.nodes.find((n) => n.name === nodeName);
  if (!me || !usable(me) || perIP <= 0) return undefined;
  const of = standbysOf ?? computeStandbyNodes(view, perIP);
  return (ip) => of(ip).includes(nodeName);
}
