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

const FAMILIES = ['arp'] as const;

/**
 * Creates the tables, sets and guard rules if missing and replaces `owned`, never touching
 * `leased` (an `nft -f` batch: applied whole or not at all). The guard chains are flushed and
 * re-filled, so a damaged rule heals; the sets keep their elements.
 */
export function renderLeaseSetup(n: LeaseNames, owned: readonly string[]): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(
      `add table ${f} ${n.table}`,
      `add set ${f} ${n.table} owned { type ipv4_addr; }`,
      `add set ${f} ${n.table} leased { type ipv4_addr; flags timeout; }`,
      `flush set ${f} ${n.table} owned`,
    );
    if (owned.length) lines.push(`add element ${f} ${n.table} owned { ${owned.join(', ')} }`);
  }
  // ARP: replies, requests and announcements the kernel makes with an owned sender address.
  lines.push(
    `add chain arp ${n.table} output { type filter hook output priority 0; policy accept; }`,
    `flush chain arp ${n.table} output`,
    `add rule arp ${n.table} output arp saddr ip @owned arp saddr ip != @leased drop`,
  );
  return lines.join('\n') + '\n';
}

/**
 * Grants a fresh lease to each IP, whether or not it had one (a claim the API has confirmed).
 * add-delete-add: the first add makes the delete safe when the IP has no lease.
 */
export function renderLeaseClaim(n: LeaseNames, ips: readonly string[], ms: number): string {
  if (!ips.length) return '';
  const els = ips.map((ip) => `${ip} timeout ${Math.max(1, Math.round(ms))}ms`).join(', ');
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(
      `add element ${f} ${n.table} leased { ${els} }`,
      `delete element ${f} ${n.table} leased { ${ips.join(', ')} }`,
      `add element ${f} ${n.table} leased { ${els} }`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Extends leases that are still running: the delete fails when an IP's lease has already expired,
 * and the whole batch with it, so an expired lease is never revived by a renewal — only by a claim
 * after the API has confirmed the assignment again.
 */
export function renderLeaseRenew(n: LeaseNames, ips: readonly string[], ms: number): string {
  if (!ips.length) return '';
  const els = ips.map((ip) => `${ip} timeout ${Math.max(1, Math.round(ms))}ms`).join(', ');
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(`delete element ${f} ${n.table} leased { ${ips.join(', ')} }`, `add element ${f} ${n.table} leased { ${els} }`);
  }
  return lines.join('\n') + '\n';
}

/** Ends the leases at once (release, fence); an IP without a lease is not an error. */
export function renderLeaseEnd(n: LeaseNames, ips: readonly string[]): string {
  if (!ips.length) return '';
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(
      `add element ${f} ${n.table} leased { ${ips.map((ip) => `${ip} timeout 1ms`).join(', ')} }`,
      `delete element ${f} ${n.table} leased { ${ips.join(', ')} }`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Removes both tables (cleanup); absent tables are not an error. */
export function renderLeaseRemove(n: LeaseNames): string {
  return FAMILIES.flatMap((f) => [`add table ${f} ${n.table}`, `delete table ${f} ${n.table}`]).join('\n') + '\n';
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
