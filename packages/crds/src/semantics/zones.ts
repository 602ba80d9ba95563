// Zones (issue 9): a pool's cidrs may carry a topology value under the pool's topologyKey. An IP of a
// zone is held only by nodes of that zone (assign/), and a pod prefers an egress IP whose gateway is
// in its own node's zone (pinEgressIP's `prefer`). Pure.
import { DEFAULT_TOPOLOGY_KEY } from '../constants.js';
import { networkOf, parseCIDR, parseIP, type CIDR } from '../ip/index.js';
import type { AuthorizedIP, Labels, Pool } from './types.js';

export function topologyKeyOf(pool: Pick<Pool, 'topologyKey'>): string {
  return pool.topologyKey ?? DEFAULT_TOPOLOGY_KEY;
}

/** The distinct zones of a pool in name order; empty for a pool without zones. */
export function poolZones(pool: { cidrs: readonly { zone?: string }[] }): string[] {
  return [...new Set(pool.cidrs.flatMap((c) => (c.zone === undefined ? [] : [c.zone])))].sort();
}

/** ip → the zone of the pool's cidr containing it; undefined outside the pool or in a pool without zones. */
export function zoneOfIPIn(pool: { cidrs: readonly { cidr: string; zone?: string }[] }): (ip: string) => string | undefined {
  const zoned: { c: CIDR; zone: string }[] = [];
  for (const c of pool.cidrs) {
    const parsed = parseCIDR(c.cidr);
    if (c.zone !== undefined && typeof parsed !== 'string') zoned.push({ c: parsed, zone: c.zone });
  }
  if (zoned.length === 0) return () => undefined;
  return (ip) => { // the address parsed once, not once per zoned cidr (assignment calls this for every IP)
    const a = parseIP(ip);
    return a && zoned.find((z) => z.c.family === a.family && networkOf(a, z.c.prefix).value === z.c.network)?.zone;
  };
}

/** Whether a node may hold an IP of `zone` (any node may hold an IP without a zone). */
export function nodeInZone(labels: Labels, topologyKey: string, zone: string | undefined): boolean {
  return zone === undefined || labels[topologyKey] === zone;
}

export interface ZoneView {
  nodes: readonly { name: string; labels: Labels }[];
  pools: readonly Pool[];
  policies: readonly { key: string; assignments: ReadonlyMap<string, string> }[];
  authorization: ReadonlyMap<string, readonly AuthorizedIP[]>;
}

/**
 * For a pod's node, which egress IPs are "near": held by a gateway whose label under the IP's pool's
 * topologyKey equals the pod node's label under that key (both present). Undefined (no preference)
 * for a pod without a node. Build once per view; the result is cheap per pod.
 */
export function computeZonePreference(view: ZoneView): (podNode: string | undefined) => ((ip: string) => boolean) | undefined {
  const labels = new Map(view.nodes.map((n) => [n.name, n.labels]));
  const keyOfPool = new Map(view.pools.map((p) => [p.name, topologyKeyOf(p)]));
  const gateway = new Map<string, { key: string; zone: string | undefined }>();
  for (const p of view.policies) {
    for (const a of view.authorization.get(p.key) ?? []) {
      const node = p.assignments.get(a.ip);
      if (a.problem || node === undefined) continue;
      const key = (a.pool && keyOfPool.get(a.pool)) ?? DEFAULT_TOPOLOGY_KEY;
      gateway.set(a.ip, { key, zone: labels.get(node)?.[key] });
    }
  }
  return (podNode) => {
    if (!podNode) return undefined;
    const own = labels.get(podNode) ?? {};
    return (ip) => {
      const g = gateway.get(ip);
      return g !== undefined && g.zone !== undefined && own[g.key] === g.zone;
    };
  };
}
