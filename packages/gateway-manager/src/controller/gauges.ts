// What the leader's gauges say: each pool's capacity, allocated and held addresses, and each gateway
// node's held addresses and capacity. Pure; the controller sets the gauges from it after each pass.
import { MAX_IPS_ANNOTATION, matchesSelector, type ClusterView, type NodeInfo, type Pool } from '@static-egress/crds';
import { computePoolStatus } from './pool-status.js';

export interface ManagerGauges {
  pools: { pool: string; capacity: number; allocated: number; held: number }[];
  nodes: { node: string; held: number; capacity: number }[];
}

/**
 * How many egress IPs a node may hold: the sum of what the pools admitting it allow per node, lowered
 * by the node's capacity annotation (as assignEgressIPs reads it).
 */
export function nodeCapacity(node: Pick<NodeInfo, 'labels' | 'annotations'>, pools: readonly Pool[]): number {
  const fromPools = pools.filter((p) => matchesSelector(node.labels, p.nodeSelector)).reduce((n, p) => n + p.maxIPsPerNode, 0);
  const raw = node.annotations[MAX_IPS_ANNOTATION];
  const cap = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(cap) && cap >= 0 ? Math.min(cap, fromPools) : fromPools;
}

/** `assignments`: egress IP → node after the pass. Nodes listed: those a pool admits or holding IPs. */
export function computeManagerGauges(view: Pick<ClusterView, 'pools' | 'nodes' | 'authorization'>, assignments: ReadonlyMap<string, string>): ManagerGauges {
  const pools = view.pools.map((pool) => {
    const s = computePoolStatus({ pool, generation: 0, authorization: view.authorization, assignments });
    return { pool: pool.name, capacity: s.capacity ?? 0, allocated: s.allocated ?? 0, held: s.assigned ?? 0 };
  });
  const held = new Map<string, number>();
  for (const node of assignments.values()) held.set(node, (held.get(node) ?? 0) + 1);
  const nodes = view.nodes
    .filter((n) => !n.deleted && (held.has(n.name) || view.pools.some((p) => matchesSelector(n.labels, p.nodeSelector))))
    .map((n) => ({ node: n.name, held: held.get(n.name) ?? 0, capacity: nodeCapacity(n, view.pools) }));
  return { pools, nodes };
}
