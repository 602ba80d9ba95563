import ipaddr from 'ipaddr.js';

/**
 * A precomputed sort key of an address string: compute it once per address, then compare keys with
 * `compareIPKeys` (parsing inside a comparator costs O(n log n) parses per sort).
 */
export interface IPSortKey {
  /** 0: IPv4, 1: IPv6, 2: unparsable. */
  readonly family: 0 | 1 | 2;
  /** IPv4: the address as an unsigned 32-bit number. */
  readonly v4: number;
  /** IPv6: the 16 bytes. */
  readonly v6: readonly number[] | undefined;
  readonly text: string;
}

/** Orders addresses numerically (IPv4 before IPv6); unparsable strings sort last, by text. */
export function compareIPs(a: string, b: string): number {
  return compareIPKeys(ipSortKey(a), ipSortKey(b));
}

/** The same order as `compareIPs`, on keys made by `ipSortKey`. */
export function compareIPKeys(a: IPSortKey, b: IPSortKey): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.family === 0) return a.v4 - b.v4;
  if (a.family === 1) {
    const x = a.v6!;
    const y = b.v6!;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

export function ipSortKey(ip: string): IPSortKey {
  const v4 = plainIPv4(ip);
  if (v4 !== undefined) return { family: 0, v4, v6: undefined, text: ip };
  if (!ipaddr.isValid(ip)) return { family: 2, v4: 0, v6: undefined, text: ip };
  const bytes = ipaddr.parse(ip).toByteArray();
  if (bytes.length === 4) return { family: 0, v4: ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!, v6: undefined, text: ip };
  return { family: 1, v4: 0, v6: bytes, text: ip };
}

/**
 * Plain dotted-decimal IPv4 ("a.b.c.d", each 0–255 without leading zeros; the form every egress IP
 * has) as an unsigned 32-bit number, which orders as `compareIPs` does among such addresses;
 * `undefined` for anything else (leading zeros, hex, fewer parts, IPv6), which needs `ipSortKey`.
 * Allocates nothing.
 */
export function plainIPv4(s: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 255 || ++parts > 4) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else {
      return undefined;
    }
  }
  return parts === 4 ? value : undefined;
}
