import ipaddr from 'ipaddr.js';

/** Orders addresses numerically (IPv4 before IPv6); unparsable strings sort last, by text. */
export function compareIPs(a: string, b: string): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  if (ka && kb) {
    if (ka.length !== kb.length) return ka.length - kb.length;
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return 0;
  }
  if (ka) return -1;
  if (kb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKey(ip: string): number[] | undefined {
  return ipaddr.isValid(ip) ? ipaddr.parse(ip).toByteArray() : undefined;
}
