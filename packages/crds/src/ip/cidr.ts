// CIDRs of both families: parse (host bits must be zero, as the CRDs' CEL rules require), contain,
// overlap, and the network of an address/prefix pair.
import { formatIP, parseIP, type IPAddress } from './address.js';

export interface IPv4CIDR {
  readonly family: 4;
  /** Canonical text, e.g. 192.0.2.96/27. */
  readonly text: string;
  readonly network: number;
  readonly prefix: number;
}

export interface IPv6CIDR {
  readonly family: 6;
  /** Canonical text, e.g. 2001:db8::/32. */
  readonly text: string;
  readonly network: bigint;
  readonly prefix: number;
}

export type CIDR = IPv4CIDR | IPv6CIDR;

/** The IPv4 CIDR every CRD field holds today. */
export type ParsedCIDR = IPv4CIDR;

export type CIDRResult<C extends CIDR = IPv4CIDR> = C | 'invalid' | 'host-bits';

const BITS = { 4: 32, 6: 128 } as const;
const CIDR_TEXT = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/;

/** Every address of a family: a policy's default destination per family of its egress IPs. */
export const ALL_ADDRESSES = { 4: '0.0.0.0/0', 6: '::/0' } as const;

/** Parses a CIDR of either family; host bits must be zero. */
export function parseCIDR(s: unknown): CIDRResult<CIDR> {
  const m = typeof s === 'string' ? CIDR_TEXT.exec(s) : null;
  const addr = m ? parseIP(m[1]) : undefined;
  const prefix = Number(m?.[2]);
  if (!addr || prefix > BITS[addr.family]) return 'invalid';
  const net = networkOf(addr, prefix);
  if (net.value !== addr.value) return 'host-bits';
  return makeCIDR(net, prefix);
}

/** Parses an IPv4 CIDR; host bits must be zero. */
export function parseCIDRv4(s: unknown): CIDRResult {
  const c = parseCIDR(s);
  return typeof c === 'object' && c.family === 6 ? 'invalid' : c;
}

/** Parses an IPv4 CIDR known to be valid (from a parsed Policy/Pool). */
export function mustParseCIDRv4(s: string): IPv4CIDR {
  const c = parseCIDRv4(s);
  if (typeof c === 'string') throw new Error(`invalid CIDR ${s}`);
  return c;
}

/** Parses a CIDR of either family known to be valid (from a parsed Policy/Pool). */
export function mustParseCIDR(s: string): CIDR {
  const c = parseCIDR(s);
  if (typeof c === 'string') throw new Error(`invalid CIDR ${s}`);
  return c;
}

/**
 * The network of `address[/prefix]` in canonical text, host bits cleared; no prefix means a single
 * address. For CIDRs already validated elsewhere (rendering); throws on an unparsable one.
 */
export function cidrNetwork(s: string): string {
  const [ip, len] = s.split('/');
  const addr = parseIP(ip);
  const prefix = len === undefined ? BITS[addr?.family ?? 4] : Number(len);
  if (!addr || !Number.isInteger(prefix) || prefix < 0 || prefix > BITS[addr.family]) throw new Error(`not a CIDR: ${JSON.stringify(s)}`);
  return makeCIDR(networkOf(addr, prefix), prefix).text;
}

/** Whether the CIDR contains the address; false for an address of the other family or none. */
export function cidrContainsIP(c: CIDR, ip: string): boolean {
  const a = parseIP(ip);
  return a !== undefined && a.family === c.family && networkOf(a, c.prefix).value === c.network;
}

/** Whether two CIDRs share an address (one then contains the other); never across families. */
export function cidrsOverlap(a: CIDR, b: CIDR): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return networkOf(cidrAddress(a), p).value === networkOf(cidrAddress(b), p).value;
}

/** The first address of the prefix-long network around `a`. */
export function networkOf(a: IPAddress, prefix: number): IPAddress {
  if (a.family === 4) return { family: 4, value: prefix === 0 ? 0 : (a.value & (~0 << (32 - prefix))) >>> 0 };
  const host = (1n << BigInt(128 - prefix)) - 1n;
  return { family: 6, value: a.value & ~host };
}

/**
 * Which end of an IPv4 CIDR `ip` is: its network or its broadcast address, which no host may use
 * (Antrea and the egressip-ipam-operator exclude them too). Undefined for any other address, for
 * /31 and /32 (RFC 3021: every address is a host) and for IPv6 (no broadcast).
 */
export function ipv4NetworkOrBroadcast(c: CIDR, ip: string): 'network' | 'broadcast' | undefined {
  if (c.family !== 4 || c.prefix > 30) return undefined;
  const a = parseIP(ip);
  if (a?.family !== 4) return undefined;
  if (a.value === c.network) return 'network';
  return a.value === cidrLastIPv4(c) ? 'broadcast' : undefined;
}

/**
 * Why `ip` is unusable in `c`: an IPv4 CIDR's network or broadcast address (ipv4NetworkOrBroadcast),
 * or an IPv6 CIDR's first address, the subnet-router anycast address (RFC 4291 §2.6.1) that a
 * forwarding Linux host holds as anycast for each of its prefixes — except /127 (RFC 6164) and
 * /128. Undefined for any other address, and for one outside `c`.
 */
export function cidrUnusableEnd(c: CIDR, ip: string): 'network' | 'broadcast' | 'subnet-router anycast' | undefined {
  if (c.family === 4) return ipv4NetworkOrBroadcast(c, ip);
  if (c.prefix > 126) return undefined;
  const a = parseIP(ip);
  return a?.family === 6 && a.value === c.network ? 'subnet-router anycast' : undefined;
}

/** How many addresses of a CIDR a host may use: all but those cidrUnusableEnd names. */
export function cidrHostCount(c: CIDR): bigint {
  const all = 1n << BigInt(BITS[c.family] - c.prefix);
  if (c.family === 4) return c.prefix <= 30 ? all - 2n : all;
  return c.prefix <= 126 ? all - 1n : all;
}

function cidrLastIPv4(c: IPv4CIDR): number {
  return (c.network + 2 ** (32 - c.prefix) - 1) >>> 0;
}

/** The network address of a CIDR. */
export function cidrAddress(c: CIDR): IPAddress {
  return c.family === 4 ? { family: 4, value: c.network } : { family: 6, value: c.network };
}

function makeCIDR(net: IPAddress, prefix: number): CIDR {
  const text = `${formatIP(net)}/${prefix}`;
  return net.family === 4 ? { family: 4, text, network: net.value, prefix } : { family: 6, text, network: net.value, prefix };
}
