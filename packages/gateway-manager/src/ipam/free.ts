// Which addresses of a pool may be handed out, and the first free one of a zone. Pure.
// Never a network or broadcast address of an IPv4 cidr up to /30 (a /31 or /32 has neither), nor an
// IPv6 cidr's subnet-router anycast address (issue 11: its first, but for /127, /128), never a
// reserved address, a node's address, or one some policy already names.
import {
  canonicalIP, cidrAddress, cidrContainsIP, cidrHostCount, cidrUnusableEnd, formatIP, parseCIDR, type CIDR, type PoolCIDR,
} from '@static-egress/crds';

/** The cidr of `cidrs` containing ip (canonical text, either family), parsed; undefined when none does. */
function cidrOf(cidrs: readonly PoolCIDR[], ip: string): { c: PoolCIDR; parsed: CIDR } | undefined {
  if (canonicalIP(ip) !== ip) return undefined;
  for (const c of cidrs) {
    const parsed = parseCIDR(c.cidr);
    if (typeof parsed !== 'string' && cidrContainsIP(parsed, ip)) return { c, parsed };
  }
  return undefined;
}

export type AddressProblem = 'not-in-pool' | 'network-or-broadcast' | 'reserved';

/**
 * Whether ip is an address of the pool that may be handed out: inside a cidr (the cidr is returned,
 * for its zone), not its network or broadcast address (IPv6: its subnet-router anycast address), not
 * reserved. The caller checks "free".
 */
export function checkPoolAddress(cidrs: readonly PoolCIDR[], ip: string): { cidr: PoolCIDR } | { problem: AddressProblem } {
  const hit = cidrOf(cidrs, ip);
  if (!hit) return { problem: 'not-in-pool' };
  if (cidrUnusableEnd(hit.parsed, ip)) return { problem: 'network-or-broadcast' };
  if (hit.c.reserved.includes(ip)) return { problem: 'reserved' };
  return { cidr: hit.c };
}

/** The usable addresses of a cidr, lowest first (lazily: an IPv6 /64 has 2^64). */
function* usableAddresses(p: CIDR): Generator<string> {
  const count = cidrHostCount(p);
  const first = cidrUnusableEnd(p, formatIP(cidrAddress(p))) ? 1n : 0n;
  for (let i = 0n; i < count; i++) yield formatIPAt(p, first + i);
}

function formatIPAt(p: CIDR, offset: bigint): string {
  return p.family === 4 ? formatIP({ family: 4, value: p.network + Number(offset) }) : formatIP({ family: 6, value: p.network + offset });
}

/**
 * The lowest address of `cidrs` (in their address order: IPv4 before IPv6) that may be handed out
 * and is not `taken`; undefined when they are full. Lowest-first keeps the choice deterministic, so
 * every replica would pick the same address from the same state.
 */
export function firstFreeAddress(cidrs: readonly PoolCIDR[], taken: (ip: string) => boolean): string | undefined {
  const parsed = cidrs
    .map((c) => ({ c, p: parseCIDR(c.cidr) }))
    .filter((x): x is { c: PoolCIDR; p: CIDR } => typeof x.p !== 'string')
    .sort((a, b) => a.p.family - b.p.family || (a.p.network < b.p.network ? -1 : a.p.network > b.p.network ? 1 : 0));
  for (const { c, p } of parsed) {
    const reserved = new Set(c.reserved);
    for (const ip of usableAddresses(p)) if (!reserved.has(ip) && !taken(ip)) return ip;
  }
  return undefined;
}
