// The kernel lease (issue 14 §1, §4): what keeps a gateway from announcing an egress IP it may no
// longer hold, even when its agent is dead, stalled or cut off. An nftables table of the ARP family
// holds `owned` (every egress IP of the cluster the agent knows) and `leased` (the IPs this node may
// announce now, each with a kernel timeout). The node sends no ARP (reply, request, announcement)
// with an owned sender address that is not leased: a gateway that lost contact with the managers
// goes silent when its lease runs out, and a node that returns after its IP moved (link restored,
// agent restarted, partition healed) is silent before its agent runs at all. Only authenticated
// manager probes renew a lease, and the manager moves an IP off a lost node only after the lease it
// reported has expired. Forwarding is not gated: a stalled or restarting agent does not stop its
// kernel from carrying egress traffic (DESIGN §5); neighbours keep their cache meanwhile, and nobody
// can be drawn to a node that does not announce. (arp_announce=2 on the uplink keeps the kernel's
// own requests from carrying an egress IP a stale SNAT rule put on a packet.)
// nftables' own table: no iptables chain, priority or flush of another program's state is touched.
// Pure text; kernel/linux-lease.ts applies it.

export interface LeaseNames {
  /** nftables table name (both families), e.g. `segress_lease`. */
  table: string;
}

export function leaseNames(ipsetPrefix: string): LeaseNames {
  return { table: `${ipsetPrefix}_lease` };
}

/**
 * Creates the table, sets and guard rule if missing and replaces `owned`, never touching `leased`
 * (an `nft -f` batch: applied whole or not at all). The guard chain is flushed and re-filled, so a
 * damaged rule heals; the sets keep their elements.
 */
export function renderLeaseSetup(n: LeaseNames, owned: readonly string[]): string {
  const t = `arp ${n.table}`;
  return lines(
    `add table ${t}`,
    `add set ${t} owned { type ipv4_addr; }`,
    `add set ${t} leased { type ipv4_addr; flags timeout; }`,
    `flush set ${t} owned`,
    ...(owned.length ? [`add element ${t} owned { ${owned.join(', ')} }`] : []),
    // replies, requests and announcements the kernel makes with an owned sender address
    `add chain ${t} output { type filter hook output priority 0; policy accept; }`,
    `flush chain ${t} output`,
    `add rule ${t} output arp saddr ip @owned arp saddr ip != @leased drop`,
  );
}

/**
 * Grants a fresh lease to each IP, whether or not it had one (a claim the API has confirmed).
 * add-delete-add: the first add makes the delete safe when the IP has no lease.
 */
export function renderLeaseClaim(n: LeaseNames, ips: readonly string[], ms: number): string {
  if (!ips.length) return '';
  return lines(addLeased(n, ips, ms), deleteLeased(n, ips), addLeased(n, ips, ms));
}

/**
 * Extends leases that are still running: the delete fails when an IP's lease has already expired,
 * and the whole batch with it, so an expired lease is never revived by a renewal — only by a claim
 * after the API has confirmed the assignment again.
 */
export function renderLeaseRenew(n: LeaseNames, ips: readonly string[], ms: number): string {
  if (!ips.length) return '';
  return lines(deleteLeased(n, ips), addLeased(n, ips, ms));
}

/** Ends the leases at once (release, fence); an IP without a lease is not an error. */
export function renderLeaseEnd(n: LeaseNames, ips: readonly string[]): string {
  if (!ips.length) return '';
  return lines(addLeased(n, ips, 1), deleteLeased(n, ips));
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';
const addLeased = (n: LeaseNames, ips: readonly string[], ms: number): string =>
  `add element arp ${n.table} leased { ${ips.map((ip) => `${ip} timeout ${Math.max(1, Math.round(ms))}ms`).join(', ')} }`;
const deleteLeased = (n: LeaseNames, ips: readonly string[]): string => `delete element arp ${n.table} leased { ${ips.join(', ')} }`;

/** Removes the table (cleanup); an absent table is not an error. */
export function renderLeaseRemove(n: LeaseNames): string {
  return lines(`add table arp ${n.table}`, `delete table arp ${n.table}`);
}

export interface LeaseTablesView {
  guard: boolean;
  owned: Set<string>;
  leased: Set<string>;
}

type NftItem = { set?: { name?: string; elem?: unknown[] }; rule?: { chain?: string } };

function elems(items: NftItem[], set: string): Set<string> {
  const out = new Set<string>();
  for (const e of items.find((i) => i.set?.name === set)?.set?.elem ?? []) {
    const val = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
    if (typeof val === 'string') out.add(val);
  }
  return out;
}

/** Parses `nft -j list table arp <t>` ('' when the table is absent). */
export function parseLeaseTables(arpJson: string): LeaseTablesView {
  const arp: NftItem[] = arpJson ? ((JSON.parse(arpJson) as { nftables?: NftItem[] }).nftables ?? []) : [];
  return { guard: arp.some((i) => i.rule?.chain === 'output'), owned: elems(arp, 'owned'), leased: elems(arp, 'leased') };
}
