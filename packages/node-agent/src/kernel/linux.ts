// The Linux kernel of the network namespace this process runs in.
import type { Kernel } from './interfaces.js';
import { LinuxIpsetMembers } from './linux-ipset-netlink.js';
import { LinuxGarp, LinuxIpset, LinuxIptables } from './linux-exec.js';
import { GarpSession } from './garp-session.js';
import { type InterfaceAddress, LinuxNetlink } from './linux-netlink.js';
import { LinuxVxlan } from './linux-vxlan.js';
import { LinuxConntrack } from './linux-conntrack.js';
import { LinuxLeaseTable } from './linux-lease.js';
import { NftSession } from './nft-session.js';
import { leaseNames } from '../render/lease.js';
import { LinuxGuardTable } from './linux-guard.js';
import { guardTable } from '../render/guard.js';

/**
 * Our egress addresses carry the label `<uplink>:seg`; labels are limited to 15 characters, so a long
 * uplink name (e.g. `enp175s0f0np0`) is cut to 11. The kernel does not require the label to start with
 * the whole device name (only iproute2 does; checked in a namespace). Without a label an address we
 * added could not be recognised as ours after a restart, and would never be released.
 */
export function addressLabel(dev: string): string {
  return `${dev.slice(0, 11)}:seg`;
}

/** The host's own view beside the Kernel capabilities: every address of every interface. */
export interface HostAddresses {
  interfaceAddresses(): Promise<InterfaceAddress[]>;
}

/** Beside the Kernel capabilities: settings of the uplink the agent makes once. */
export interface UplinkSettings {
  setArpAnnounce(dev: string, value: number): Promise<void>;
}

export function createLinuxKernel(opts: { ipsetPrefix: string; onGarpError?: (e: Error) => void; onNetlinkError?: (e: Error) => void }): Kernel & HostAddresses & UplinkSettings & { close(): void; setGarpRepeatGuard(mayRepeat: (ip: string) => boolean): void } {
  const nl = new LinuxNetlink(addressLabel, opts.onNetlinkError);
  const members = new LinuxIpsetMembers(opts.onNetlinkError);
  const nft = new NftSession(); // the lease renewals, many a second (issue 16)
  const moves = new NftSession(); // the lease claims and ends: a takeover's claim never waits behind a renewal
  // the GARP sender started now, so a takeover's first GARP is one line to a running process (issue 16 §1)
  const garpSession = new GarpSession();
  garpSession.warm();
  const garp = new LinuxGarp(undefined, opts.onGarpError, garpSession);
  return {
    ipset: new LinuxIpset(),
    ipsetMembers: members,
    iptables: new LinuxIptables(),
    rules: nl.rules,
    routes: nl.routes,
    addresses: nl.addresses,
    vxlan: new LinuxVxlan((dev, v) => nl.setRpFilter(dev, v)),
    garp,
    setGarpRepeatGuard: (mayRepeat) => { garp.mayRepeat = mayRepeat; },
    lease: new LinuxLeaseTable(leaseNames(opts.ipsetPrefix), undefined, nft, undefined, moves),
    conntrack: new LinuxConntrack(),
    guard: new LinuxGuardTable(guardTable(opts)),
    setArpAnnounce: (dev, value) => nl.setArpAnnounce(dev, value),
    interfaceAddresses: () => nl.interfaceAddresses(),
    close: () => { nl.close(); members.close(); nft.close(); moves.close(); garpSession.close(); },
  };
}
