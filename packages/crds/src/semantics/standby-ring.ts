// Standby gateways (issue 16 §1): which nodes stand by for an egress IP. One implementation for both
// daemons — the agents program the IP's SNAT ahead on these nodes (node-agent agent/standby.ts), and
// the manager prefers them when it moves the IP (gateway-manager assign/assign.ts), so the node that
// takes an IP over is, whenever one of them can, one that has everything but the address. Pure.
import { stableHash32 } from './pin.js';
import { matchesSelector } from './selector.js';
import type { Labels, Pool } from './types.js';
import { nodeInZone, topologyKeyOf } from './zones.js';

/** Standby nodes per egress IP (besides its holder), unless configured otherwise. */
export const STANDBYS_PER_IP = 2;

/** What the ring needs of a node (the agents' NodeInfo and the manager's AssignNode both have it). */
export interface RingNode {
  name: string;
  labels: Labels;
  ready: boolean;
  cordoned: boolean;
  deleted?: boolean;
}

/**
 * The ring of an IP of `pool` in `zone`: the nodes that may hold it by the manager's rule, whatever
 * their health — Ready, not cordoned or deleted, admitted by the pool's nodeSelector, in the zone — in
 * name order. Both daemons build it here, so they agree on it.
 */
export function computeStandbyRing(nodes: readonly RingNode[], pool: Pick<Pool, 'nodeSelector' | 'topologyKey'>, zone: string | undefined): string[] {
  const key = topologyKeyOf(pool);
  return nodes.filter((n) => n.ready && !n.cordoned && !n.deleted && matchesSelector(n.labels, pool.nodeSelector) && nodeInZone(n.labels, key, zone))
    .map((n) => n.name).sort();
}

/**
 * The IP's standbys, in order: the first `perIP` names of `ring` (computeStandbyRing) from a stable hash of the IP on, the holder skipped.
 */
export function computeStandbys(ring: readonly string[], ip: string, holder: string | undefined, perIP = STANDBYS_PER_IP): string[] {
  const out: string[] = [];
  if (ring.length === 0 || perIP <= 0) return out;
  const start = stableHash32(ip) % ring.length; // a stable start on the ring
  for (let i = 0; i < ring.length && out.length < perIP; i++) {
    const name = ring[(start + i) % ring.length]!;
    if (name !== holder) out.push(name);
  }
  return out;
}
