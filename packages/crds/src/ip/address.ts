// IP addresses of both families: parse, format, compare, and the integer, byte and hex forms. The
// only place in the project that reads or writes address text (issue 8); built on ipaddr.js.
//
// Parsing is as strict as the CRDs' CEL rules (Kubernetes' isIP): IPv4 only as a dotted quad
// without leading zeros; IPv6 without a zone and not IPv4-mapped. So a parsed object and an
// admitted object agree. Text out is canonical: IPv4 dotted quad, IPv6 RFC 5952 ('2001:db8::1').
import ipaddr from 'ipaddr.js';

export type IPFamily = 4 | 6;

export interface IPv4Address {
  readonly family: 4;
  /** The address as an unsigned 32-bit number. */
  readonly value: number;
}

export interface IPv6Address {
  readonly family: 6;
  /** The address as an unsigned 128-bit number. */
  readonly value: bigint;
}

export type IPAddress = IPv4Address | IPv6Address;

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/**
 * The dotted quad the CEL rules admit; the same set as ipaddr.IPv4.isValidFourPartDecimal (a
 * property test holds them together), checked in one pass: the manager parses every egress IP of
 * every policy on each pass, and ipaddr.js's three-step check costs several times more.
 */
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** An address of either family, or undefined (see the strictness above). */
export function parseIP(s: unknown): IPAddress | undefined {
  if (typeof s !== 'string') return undefined;
  return s.includes(':') ? parseIPv6Address(s) : parseIPv4Address(s);
}

export function parseIPv4Address(s: string): IPv4Address | undefined {
  const m = DOTTED_QUAD.exec(s);
  if (!m) return undefined;
  return { family: 4, value: Number(m[1]) * 0x1000000 + Number(m[2]) * 0x10000 + Number(m[3]) * 0x100 + Number(m[4]) };
}

export function parseIPv6Address(s: string): IPv6Address | undefined {
  if (HEX_COLON.test(s)) {
    const value = parseHexIPv6(s);
    return value === undefined || value >> 32n === 0xffffn ? undefined : { family: 6, value };
  }
  if (s.includes('%')) return undefined;
  let a: ipaddr.IPv6;
  try {
    a = ipaddr.IPv6.parse(s); // one pass: isValid would parse it a second time
  } catch {
    return undefined;
  }
  if (a.isIPv4MappedAddress()) return undefined;
  let value = 0n;
  for (const part of a.parts) value = (value << 16n) | BigInt(part);
  return { family: 6, value };
}

/** Groups of hex digits and colons only: every IPv6 text but the dotted-quad tail forms. */
const HEX_COLON = /^[0-9a-fA-F:]+$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The value of hex-and-colon IPv6 text, or undefined; the same set as ipaddr.js accepts (a property
 * test holds them together), in a fraction of its time: the manager parses every egress IP of every
 * policy on each pass, and ipaddr.js's general parser costs ~2 µs an address.
 */
function parseHexIPv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const n = head.length + tail.length;
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  let value = 0n;
  for (const g of head) {
    if (!GROUP.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  value <<= BigInt(16 * (8 - head.length));
  let low = 0n;
  for (const g of tail) {
    if (!GROUP.test(g)) return undefined;
    low = (low << 16n) | BigInt(parseInt(g, 16));
  }
  return value | low;
}

/**
 * Text → its canonical text ('' when it is no address), for the strings the daemons see again on
 * every pass (each pod's, node's and egress IP's, issue 16 §4: IPv6 parsing was 40 % of the manager's
 * view at 10,000 pods); emptied when it holds MEMO_LIMIT entries, so odd input cannot grow it.
 */
const canonicalMemo = new Map<string, string>();
const MEMO_LIMIT = 200_000;

/** Canonical text of an address of either family, or undefined. */
export function canonicalIP(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  let c = canonicalMemo.get(s);
  if (c === undefined) {
    const a = parseIP(s);
    c = a ? formatIP(a) : '';
    if (canonicalMemo.size >= MEMO_LIMIT) canonicalMemo.clear();
    canonicalMemo.set(s, c);
  }
  return c === '' ? undefined : c;
}

/** Canonical form of a dotted-quad IPv4 address, or undefined. Leading zeros are rejected. */
export function parseIPv4(s: unknown): string | undefined {
  const a = typeof s === 'string' ? parseIPv4Address(s) : undefined;
  return a && formatIP(a);
}

/** Canonical (RFC 5952) form of an IPv6 address, or undefined. */
export function parseIPv6(s: unknown): string | undefined {
  const a = typeof s === 'string' ? parseIPv6Address(s) : undefined;
  return a && formatIP(a);
}

export function formatIP(a: IPAddress): string {
  if (a.family === 4) return ipv4FromInt(a.value);
  return ipaddr.fromByteArray([...bigIntToBytes(a.value, 16)]).toString();
}

/** The unsigned 32-bit value of an IPv4 address; throws on anything else. */
export function ipv4ToInt(ip: string): number {
  const a = parseIPv4Address(ip);
  if (!a) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return a.value;
}

export function ipv4FromInt(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The unsigned 128-bit value of an IPv6 address; throws on anything else. */
export function ipv6ToBigInt(ip: string): bigint {
  const a = parseIPv6Address(ip);
  if (!a) throw new Error(`not an IPv6 address: ${JSON.stringify(ip)}`);
  return a.value;
}

export function ipv6FromBigInt(v: bigint): string {
  return formatIP({ family: 6, value: BigInt.asUintN(128, v) });
}

/** Network byte order: 4 bytes for IPv4, 16 for IPv6; throws on text that is no address. */
export function ipToBytes(ip: string | IPAddress): Uint8Array {
  const a = typeof ip === 'string' ? parseIP(ip) : ip;
  if (!a) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  return a.family === 4 ? bigIntToBytes(BigInt(a.value), 4) : bigIntToBytes(a.value, 16);
}

/** The address in 4 (IPv4) or 16 (IPv6) bytes of network order; undefined for any other length. */
export function ipFromBytes(b: ArrayLike<number>): IPAddress | undefined {
  if (b.length === 4) return { family: 4, value: Number(bytesToBigInt(b)) };
  if (b.length === 16) return { family: 6, value: bytesToBigInt(b) };
  return undefined;
}

/** Lower-case hex of the bytes: 'c0000201' for 192.0.2.1 (kernel object names). */
export function ipToHex(ip: string): string {
  return [...ipToBytes(ip)].map((o) => o.toString(16).padStart(2, '0')).join('');
}

/** The inverse of ipToHex (either case); undefined unless 8 or 32 hex digits. */
export function ipFromHex(hex: string): string | undefined {
  if (!/^([0-9a-fA-F]{8}|[0-9a-fA-F]{32})$/.test(hex)) return undefined;
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  const a = ipFromBytes(bytes);
  return a && formatIP(a);
}

/** Total order: IPv4 before IPv6, numerically within a family. */
export function compareIPAddresses(a: IPAddress, b: IPAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Total order of address strings: numeric (IPv4 before IPv6), text that is no address last, by
 * text. Parses on every call; to sort many, parse once (parseIP) and use compareIPAddresses.
 */
export function compareIPs(a: string, b: string): number {
  return compareParsed(parseIP(a), a, parseIP(b), b);
}

/** The items in compareIPs order of ipOf(item), parsing each address once. */
export function sortByIP<T>(items: readonly T[], ipOf: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, text: ipOf(item), ip: parseIP(ipOf(item)) }));
  keyed.sort((x, y) => compareParsed(x.ip, x.text, y.ip, y.text));
  return keyed.map((k) => k.item);
}

function compareParsed(x: IPAddress | undefined, a: string, y: IPAddress | undefined, b: string): number {
  if (x && y) return compareIPAddresses(x, y) || compareText(a, b);
  if (x || y) return x ? -1 : 1;
  return compareText(a, b);
}

/** Go's IsGlobalUnicast for IPv4: not unspecified, loopback, link-local, multicast or broadcast. */
export function isGlobalUnicastIPv4(ip: string): boolean {
  if (ip === '0.0.0.0') return false; // ipaddr.js calls all of 0/8 unspecified; Go only this one
  const r = ipaddr.IPv4.parse(ip).range();
  return !['loopback', 'linkLocal', 'multicast', 'broadcast'].includes(r);
}

/** The family of an address or of a CIDR's address part, or undefined when the text is neither. */
export function ipFamilyOf(s: unknown): IPFamily | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const c = canonicalIP(slash < 0 ? s : s.slice(0, slash));
  return c === undefined ? undefined : c.includes(':') ? 6 : 4;
}

/** 'IPv4' or 'IPv6', for messages. */
export function familyName(f: IPFamily): 'IPv4' | 'IPv6' {
  return f === 4 ? 'IPv4' : 'IPv6';
}

const V6_LINK_LOCAL = 0xfe80n << 112n; // fe80::/10
const V6_MULTICAST = 0xffn << 120n; // ff00::/8

/**
 * Go's IsGlobalUnicast (the CRDs' CEL isGlobalUnicast) for either family: not unspecified,
 * loopback, link-local, multicast or (IPv4) broadcast. False for text that is no address.
 */
export function isGlobalUnicast(ip: string): boolean {
  const a = parseIP(ip);
  if (!a) return false;
  if (a.family === 4) return isGlobalUnicastIPv4(ip);
  const v = a.value;
  if (v === 0n || v === 1n) return false;
  if (v >> 118n === V6_LINK_LOCAL >> 118n) return false;
  return v >> 120n !== V6_MULTICAST >> 120n;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bytesToBigInt(b: ArrayLike<number>): bigint {
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

function bigIntToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
