// EgressIPPool status (the printer columns of `kubectl get eippool`): how many addresses the pool
// has, how many authorized StaticEgressIPs claim, and how many a gateway node holds now. Pure.
import {
  cidrContainsIP, cidrHostCount, ipv4NetworkOrBroadcast, parseCIDRv4, type AuthorizedIP, type EgressIPPoolStatus, type Pool,
} from '@static-egress/crds';

const INT32_MAX = 2 ** 31 - 1;

/**
 * Usable addresses: the host addresses of every cidr (not an IPv4 network's network or broadcast
 * address, which no policy may claim), minus the reserved ones among them.
 */
export function poolCapacity(pool: Pick<Pool, 'cidrs'>): number {
  let n = 0;
  for (const c of pool.cidrs) {
    const parsed = parseCIDRv4(c.cidr);
    if (typeof parsed === 'string') continue;
    const reserved = new Set(c.reserved.filter((ip) => cidrContainsIP(parsed, ip) && !ipv4NetworkOrBroadcast(parsed, ip)));
    n += Number(cidrHostCount(parsed)) - reserved.size;
  }
  return Math.min(n, INT32_MAX);
}

export interface PoolStatusInput {
  pool: Pick<Pool, 'name' | 'cidrs'>;
  generation: number;
  /** authorizeEgressIPs' result: policy key → its IPs with the pool that admitted each. */
  authorization: ReadonlyMap<string, readonly AuthorizedIP[]>;
  /** egress IP → node holding it. */
  assignments: ReadonlyMap<string, string>;
}

export function computePoolStatus(input: PoolStatusInput): EgressIPPoolStatus {
  const allocated = new Set<string>();
  for (const ips of input.authorization.values()) {
    for (const a of ips) if (a.pool === input.pool.name && !a.problem) allocated.add(a.ip);
  }
  let assigned = 0;
  for (const ip of allocated) if (input.assignments.has(ip)) assigned++;
  return { observedGeneration: input.generation, capacity: poolCapacity(input.pool), allocated: allocated.size, assigned };
}

/** Whether writing `next` would change what `current` says (conditions are not ours to touch). */
export function poolStatusChanged(current: EgressIPPoolStatus | undefined, next: EgressIPPoolStatus): boolean {
  return (['observedGeneration', 'capacity', 'allocated', 'assigned'] as const).some((k) => current?.[k] !== next[k]);
}
