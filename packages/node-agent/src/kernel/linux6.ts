// The Linux kernel capabilities of the IPv6 state (dual stack, issue 11), beside createLinuxKernel's
// IPv4 ones: the same shapes, so one NodeSyncer and one plan serve each family. The tunnel belongs to
// the IPv4 state (VXLAN over an IPv6 underlay is not built yet): here it is never read or touched.
import { guardTable } from '../render/guard.js';
import { leaseNames } from '../render/lease.js';
import type { VxlanIntent } from '../render/types.js';
import type { Kernel, VxlanManager } from './interfaces.js';
import { LinuxConntrack } from './linux-conntrack.js';
import { LinuxIpset } from './linux-exec.js';
import {
  LinuxGuard6Table, LinuxIp6Addresses, LinuxIp6Routes, LinuxIp6Rules, LinuxIp6tables, LinuxLease6Table, LinuxUnsolicitedNA, linkMAC,
} from './linux-ip6.js';

/** No tunnel in the IPv6 state: reads none, changes nothing (the IPv4 state owns segress.vx). */
export class NoVxlan implements VxlanManager {
  async read(): Promise<VxlanIntent> { return { device: null, neighbors: [], fdb: [] }; }
  async addMissing(): Promise<void> {}
  async removeStale(): Promise<void> {}
}

/** `ipsetPrefix` is the IPv6 state's (render/family.ts: `<prefix>6`). */
export function createLinuxKernel6(opts: { ipsetPrefix: string; onNAError?: (e: Error) => void }): Kernel {
  return {
    ipset: new LinuxIpset(),
    iptables: new LinuxIp6tables(),
    rules: new LinuxIp6Rules(),
    routes: new LinuxIp6Routes(),
    addresses: new LinuxIp6Addresses(),
    vxlan: new NoVxlan(),
    garp: new LinuxUnsolicitedNA((dev) => linkMAC(dev), undefined, opts.onNAError),
    lease: new LinuxLease6Table(leaseNames(opts.ipsetPrefix)),
    conntrack: new LinuxConntrack(),
    guard: new LinuxGuard6Table(guardTable(opts)),
  };
}
