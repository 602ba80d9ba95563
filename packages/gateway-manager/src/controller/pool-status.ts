// EgressIPPool status (the printer columns of `kubectl get eippool`): how many addresses the pool
// has, how many authorized StaticEgressIPs claim, and how many a gateway node holds now. Pure.
import {
  cidrContainsIP, cidrHostCount, cidrUnusableEnd, parseCIDR, type AuthorizedIP, type EgressIPPoolStatus, type Pool,
} from '@static-egress/crds';

const INT32_MAX = 2 ** 31 - 1;

/**
 * Usable addresses: the host addresses of every cidr of either family (not an IPv4 cidr's network
 * or broadcast address, nor an IPv6 cidr's subnet-router anycast address, which no policy may
 * claim), minus the reserved ones among them. Saturates at the int32 of status.capacity: an IPv6
 * /64 alone has 2^64 addresses.
 */
export function poolCapacity(pool: Pick<Pool, 'cidrs'>): number {
  let n = 0n;
  for (const c of pool.cidrs) {
    const parsed = parseCIDR(c.cidr);
    if (typeof parsed === 'string') continue;
    const reserved = new Set(c.reserved.filter((ip) => cidrContainsIP(parsed, ip) && !cidrUnusableEnd(parsed, ip)));
    n += cidrHostCount(parsed) - BigInt(reserved.size);
  }
  return n > BigInt(INT32_MAX) ? INT32_MAX : Number(n);
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
