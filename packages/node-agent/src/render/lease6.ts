// The kernel lease for IPv6 (issue 11): the counterpart of lease.ts' ARP guard. IPv6 has no ARP; a
// node announces an address with neighbour advertisements (NA: the kernel's answers to neighbour
// solicitations, and our unsolicited NA on a claim) and draws traffic to it with solicitations (NS)
// sent from it. An nftables table of the ip6 family, hooked at output, drops
//  - every NA whose target address (ICMPv6 payload, bits 64..191) is owned and not leased — the
//    kernel's solicited answers and our unsolicited ones alike (ours go out through a raw ICMPv6
//    socket, so through this hook: unlike arping's packet socket, they cannot pass the lease);
//  - every NS or NA sent from an owned, unleased source address.
// The sets are typed by the raw payload (`typeof @th,64,128`: an nd target has no nft keyword), so
// their elements are 128-bit integers, the address's hex; the source match reuses them (`@nh,64,128`
// is the IPv6 source). Same discipline as lease.ts: one `nft -f` batch per call; a renewal fails whole
// on an expired lease. Pure text; kernel/linux-lease6.ts applies it.
import { ipFromHex, ipToHex } from '@static-egress/crds';
import type { LeaseNames, LeaseTablesView } from './lease.js';

const elem = (ip: string) => `0x${ipToHex(ip)}`;
const lines = (...ls: string[]): string => ls.join('\n') + '\n';
const T = (n: LeaseNames) => `ip6 ${n.table}`;

/** Creates the table, sets and rules if missing and replaces `owned`, never touching `leased`. */
export function renderLease6Setup(n: LeaseNames, owned: readonly string[]): string {
  const t = T(n);
  return lines(
    `add table ${t}`,
    `add set ${t} owned { typeof @th,64,128; }`,
    `add set ${t} leased { typeof @th,64,128; flags timeout; }`,
    `flush set ${t} owned`,
    ...(owned.length ? [`add element ${t} owned { ${owned.map(elem).join(', ')} }`] : []),
    `add chain ${t} output { type filter hook output priority 0; policy accept; }`,
    `flush chain ${t} output`,
    `add rule ${t} output icmpv6 type nd-neighbor-advert @th,64,128 @owned @th,64,128 != @leased drop`,
    `add rule ${t} output icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } @nh,64,128 @owned @nh,64,128 != @leased drop`,
  );
}

const addLeased = (n: LeaseNames, ips: readonly string[], ms: number) =>
  `add element ${T(n)} leased { ${ips.map((ip) => `${elem(ip)} timeout ${Math.max(1, Math.round(ms))}ms`).join(', ')} }`;
const deleteLeased = (n: LeaseNames, ips: readonly string[]) => `delete element ${T(n)} leased { ${ips.map(elem).join(', ')} }`;

/** A fresh lease for each IP, leased or not (add-delete-add: the delete is safe). */
export function renderLease6Claim(n: LeaseNames, ips: readonly string[], ms: number): string {
  return ips.length ? lines(addLeased(n, ips, ms), deleteLeased(n, ips), addLeased(n, ips, ms)) : '';
}

/** Extends running leases; fails whole when one has expired (never revived by a renewal). */
export function renderLease6Renew(n: LeaseNames, ips: readonly string[], ms: number): string {
  return ips.length ? lines(deleteLeased(n, ips), addLeased(n, ips, ms)) : '';
}

/** Ends the leases at once; an IP without a lease is not an error. */
export function renderLease6End(n: LeaseNames, ips: readonly string[]): string {
  return ips.length ? lines(addLeased(n, ips, 1), deleteLeased(n, ips)) : '';
}

export function renderLease6Remove(n: LeaseNames): string {
  return lines(`add table ${T(n)}`, `delete table ${T(n)}`);
}

type NftItem = { set?: { name?: string; elem?: unknown[] }; rule?: { chain?: string } };

function elems(items: NftItem[], set: string): Set<string> {
  const out = new Set<string>();
  for (const e of items.find((i) => i.set?.name === set)?.set?.elem ?? []) {
    const val = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
    const ip = typeof val === 'string' ? ipFromHex(val.replace(/^0x/, '').padStart(32, '0')) : undefined;
    if (ip) out.add(ip);
  }
  return out;
}

/** Parses `nft -j list table ip6 <t>` ('' when absent); the guard is in place with both rules. */
export function parseLease6Tables(json: string): LeaseTablesView {
  const items: NftItem[] = json ? ((JSON.parse(json) as { nftables?: NftItem[] }).nftables ?? []) : [];
  return { guard: items.filter((i) => i.rule?.chain === 'output').length === 2, owned: elems(items, 'owned'), leased: elems(items, 'leased') };
}
