// The Linux kernel capabilities of the IPv6 state (dual stack, issue 11), beside createLinuxKernel's
// IPv4 ones: the same shapes, so one NodeSyncer and one plan serve each family, and the same paths —
// rules, routes and addresses over rtnetlink, the lease over an `nft -i` session, the announcement
// from a long-lived sender — so an IPv6 claim takes as long as an IPv4 one. The tunnel belongs to
// the IPv4 state (VXLAN over an IPv6 underlay is not built yet): here it is never read or touched.
import { guardTable } from '../render/guard.js';
import { leaseNames } from '../render/lease.js';
import type { VxlanIntent } from '../render/types.js';
import type { Kernel, VxlanManager } from './interfaces.js';
import { LinuxConntrack } from './linux-conntrack.js';
import { LinuxIpset } from './linux-exec.js';
import { LinuxIpsetMembers } from './linux-ipset-netlink.js';
import { LinuxGuardTable } from './linux-guard.js';
import { LinuxIp6tables, LinuxUnsolicitedNA } from './linux-ip6.js';
import { LinuxLeaseTable, NA_LEASE } from './linux-lease.js';
import { LinuxNetlink } from './linux-netlink.js';
import { NaSession } from './na-session.js';
import { NftSession } from './nft-session.js';

/** No tunnel in the IPv6 state: reads none, changes nothing (the IPv4 state owns segress.vx). */
export class NoVxlan implements VxlanManager {
  async read(): Promise<VxlanIntent> { return { device: null, neighbors: [], fdb: [] }; }
  async addMissing(): Promise<void> {}
  async removeStale(): Promise<void> {}
}

/**
 * `ipsetPrefix` is the IPv6 state's (render/family.ts: `<prefix>6`). Sockets and child processes
 * open on first use (an IPv4-only node opens none); close() ends them.
 */
export function createLinuxKernel6(opts: { ipsetPrefix: string; onNAError?: (e: Error) => void; onNetlinkError?: (e: Error) => void }):
  Kernel & { close(): void; prepareAnnouncements(dev: string): void } {
  let nl: LinuxNetlink | undefined;
  let members: LinuxIpsetMembers | undefined;
  const netlink = () => (nl ??= new LinuxNetlink(() => undefined, opts.onNetlinkError, 6));
  const nft = new NftSession();
  const moves = new NftSession(); // claims and ends apart from the renewals (kernel/linux.ts)
  const na = new NaSession();
  const garp = new LinuxUnsolicitedNA(na, (dev) => netlink().linkMAC(dev), undefined, opts.onNAError);
  return {
    ipset: new LinuxIpset(),
    ipsetMembers: { apply: (changes) => (members ??= new LinuxIpsetMembers(opts.onNetlinkError)).apply(changes) },
    iptables: new LinuxIp6tables(),
    rules: { list: (a, b) => netlink().rules.list(a, b), add: (r) => netlink().rules.add(r), del: (r) => netlink().rules.del(r) },
    routes: { list: (a, b) => netlink().routes.list(a, b), replace: (r) => netlink().routes.replace(r), del: (r) => netlink().routes.del(r) },
    addresses: { list: (d) => netlink().addresses.list(d), add: (d, ips) => netlink().addresses.add(d, ips), del: (d, ips) => netlink().addresses.del(d, ips) },
    vxlan: new NoVxlan(),
    garp,
    /** the NA sender started and dev's MAC read before the first claim (where the IPv6 state runs) */
    prepareAnnouncements: (dev) => garp.prepare(dev),
    lease: new LinuxLeaseTable(leaseNames(opts.ipsetPrefix), undefined, nft, NA_LEASE, moves),
    conntrack: new LinuxConntrack(),
    guard: new LinuxGuardTable(guardTable(opts), 'ip6'),
    close: () => { nl?.close(); members?.close(); nft.close(); moves.close(); na.close(); },
  };
}
