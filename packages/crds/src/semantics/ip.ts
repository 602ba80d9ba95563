// IPv4 helpers with the same strictness as the CRD's CEL rules (isIP/isCIDR reject leading zeros,
// and we require network addresses), so a parsed object and an admitted object agree.
import ipaddr from 'ipaddr.js';

/** Canonical form of a dotted-quad IPv4 address, or undefined. Leading zeros are rejected. */
export function parseIPv4(s: unknown): string | undefined {
  if (typeof s !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(s)) return undefined;
  return ipaddr.IPv4.parse(s).toString();
}

/** Go's IsGlobalUnicast for IPv4: not unspecified, loopback, link-local, multicast or broadcast. */
export function isGlobalUnicastIPv4(ip: string): boolean {
  if (ip === '0.0.0.0') return false; // ipaddr.js calls all of 0/8 unspecified; Go only this one
  const r = ipaddr.IPv4.parse(ip).range();
  return !['loopback', 'linkLocal', 'multicast', 'broadcast'].includes(r);
}

export interface ParsedCIDR {
  /** Canonical text, e.g. 192.0.2.96/27. */
  text: string;
  network: number;
  prefix: number;
}

export type CIDRResult = ParsedCIDR | 'invalid' | 'host-bits';

/** Parses an IPv4 CIDR; host bits must be zero. */
export function parseCIDRv4(s: unknown): CIDRResult {
  if (typeof s !== 'string') return 'invalid';
  const m = /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(s);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!)) return 'invalid';
  const prefix = Number(m[2]);
  if (prefix > 32) return 'invalid';
  const addr = ipaddr.IPv4.parse(m[1]!);
  const n = ipv4ToInt(addr.toString());
  const network = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
  if (network !== n) return 'host-bits';
  return { text: `${addr.toString()}/${prefix}`, network, prefix };
}

export function ipv4ToInt(ip: string): number {
  const o = ipaddr.IPv4.parse(ip).octets;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function cidrContainsIP(c: Pick<ParsedCIDR, 'network' | 'prefix'>, ip: string): boolean {
  if (c.prefix === 0) return true;
  const mask = (~0 << (32 - c.prefix)) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === c.network;
}

/** Whether two CIDRs share an address (one then contains the other). */
export function cidrsOverlap(a: ParsedCIDR, b: ParsedCIDR): boolean {
  const p = Math.min(a.prefix, b.prefix);
  if (p === 0) return true;
  const mask = (~0 << (32 - p)) >>> 0;
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

/** Parses a CIDR known to be valid (from a parsed Policy/Pool). */
export function mustParseCIDRv4(s: string): ParsedCIDR {
  const c = parseCIDRv4(s);
  if (typeof c === 'string') throw new Error(`invalid CIDR ${s}`);
  return c;
}
