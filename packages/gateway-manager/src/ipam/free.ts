// Which addresses of a pool may be handed out, and the first free one of a zone. Pure.
// Never a network or broadcast address of an IPv4 cidr up to /30 (a /31 or /32 has neither), never a
// reserved address, a node's address, or one some policy already names.
import { ipv4FromInt, ipv4ToInt, parseCIDRv4, parseIPv4, type IPv4CIDR, type PoolCIDR } from '@static-egress/crds';

/** The cidr of `cidrs` containing ip, parsed; undefined when none does. */
function cidrOf(cidrs: readonly PoolCIDR[], ip: string): { c: PoolCIDR; parsed: IPv4CIDR } | undefined {
  const v = parseIPv4(ip) === ip ? ipv4ToInt(ip) : undefined;
  if (v === undefined) return undefined;
  for (const c of cidrs) {
    const parsed = parseCIDRv4(c.cidr);
    if (typeof parsed === 'string') continue;
    const [lo, hi] = range(parsed);
    if (v >= lo && v <= hi) return { c, parsed };
  }
  return undefined;
}

/** First and last address of a cidr as unsigned ints. */
function range(c: IPv4CIDR): [number, number] {
  const size = 2 ** (32 - c.prefix);
  return [c.network, c.network + size - 1];
}

/** First and last address that may be handed out (network and broadcast excluded up to /30). */
function usableRange(c: IPv4CIDR): [number, number] {
  const [lo, hi] = range(c);
  return c.prefix <= 30 ? [lo + 1, hi - 1] : [lo, hi];
}

export type AddressProblem = 'not-in-pool' | 'network-or-broadcast' | 'reserved';

/**
 * Whether ip is an address of the pool that may be handed out: inside a cidr (the cidr is returned,
 * for its zone), not its network or broadcast address, not reserved. The caller checks "free".
 */
export function checkPoolAddress(cidrs: readonly PoolCIDR[], ip: string): { cidr: PoolCIDR } | { problem: AddressProblem } {
  const hit = cidrOf(cidrs, ip);
  if (!hit) return { problem: 'not-in-pool' };
  const [lo, hi] = usableRange(hit.parsed);
  const v = ipv4ToInt(ip);
  if (v < lo || v > hi) return { problem: 'network-or-broadcast' };
  if (hit.c.reserved.includes(ip)) return { problem: 'reserved' };
  return { cidr: hit.c };
}

/**
 * The lowest address of `cidrs` (in their address order) that may be handed out and is not
 * `taken`; undefined when they are full. Lowest-first keeps the choice deterministic, so every
 * replica would pick the same address from the same state.
 */
export function firstFreeAddress(cidrs: readonly PoolCIDR[], taken: (ip: string) => boolean): string | undefined {
  const parsed = cidrs
    .map((c) => ({ c, p: parseCIDRv4(c.cidr) }))
    .filter((x): x is { c: PoolCIDR; p: IPv4CIDR } => typeof x.p !== 'string')
    .sort((a, b) => a.p.network - b.p.network);
  for (const { c, p } of parsed) {
    const reserved = new Set(c.reserved);
    const [lo, hi] = usableRange(p);
    for (let v = lo; v <= hi; v++) {
      const ip = ipv4FromInt(v);
      if (!reserved.has(ip) && !taken(ip)) return ip;
    }
  }
  return undefined;
}
