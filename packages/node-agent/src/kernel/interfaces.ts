// Kernel capabilities the syncer needs. Each Linux* implementation talks to the network namespace
// the process runs in; each Fake* keeps real state in memory.
import type { RouteIntent, RuleIntent, VxlanIntent } from '../render/types.js';

export interface IpsetRestorer {
  /** `ipset save` of every set. */
  save(): Promise<string>;
  /** One `ipset restore` of the given text; rejects when any line fails. No-op for ''. */
  restore(text: string): Promise<void>;
}

export interface MemberChange {
  set: string;
  add: readonly string[];
  del: readonly string[];
}

export interface IpsetMembers {
  /** Adds, then deletes members of existing sets in place (each atomic); present/absent is not an error. */
  apply(changes: readonly MemberChange[]): Promise<void>;
}

export interface IptablesRestorer {
  /** `iptables-save` of the mangle, nat and filter tables; with counters when asked. */
  save(opts?: { counters?: boolean }): Promise<string>;
  /** One `iptables-restore --noflush` transaction; the kernel applies all of it or none. */
  restore(text: string): Promise<void>;
}

export interface RuleTable {
  /** IPv4 fwmark rules whose priority is within [min, max]. */
  list(min: number, max: number): Promise<RuleIntent[]>;
  /** Adds the rules; a rule that already exists is left as is. */
  add(rules: readonly RuleIntent[]): Promise<void>;
  /** Deletes exactly these rules; a rule that does not exist is ignored. */
  del(rules: readonly RuleIntent[]): Promise<void>;
}

export interface RouteTable {
  /** IPv4 routes in tables within [min, max]. */
  list(min: number, max: number): Promise<RouteIntent[]>;
  /** Creates or replaces each table's default route, atomically per route. */
  replace(routes: readonly RouteIntent[]): Promise<void>;
  /** Deletes exactly these routes; a route that does not exist is ignored. */
  del(routes: readonly RouteIntent[]): Promise<void>;
}

export interface OwnedAddress {
  ip: string;
  dev: string;
  /** carries our label (so it is ours even if we did not add it in this process) */
  owned: boolean;
}

export interface AddressManager {
  /** /32 IPv4 addresses on dev. */
  list(dev: string): Promise<OwnedAddress[]>;
  /** Adds /32 addresses with our label; returns those that were newly added (so GARP fires only then). */
  add(dev: string, ips: readonly string[]): Promise<string[]>;
  /** Deletes the addresses; one that does not exist is ignored. */
  del(dev: string, ips: readonly string[]): Promise<void>;
}

export interface VxlanManager {
  /** The device (null when absent), its permanent neighbours and fdb entries. */
  read(name: string): Promise<VxlanIntent>;
  /** Creates/fixes the device and adds missing neighbours and fdb entries (no removals). */
  addMissing(want: VxlanIntent, have: VxlanIntent): Promise<void>;
  /** Removes neighbours and fdb entries not wanted; deletes the device when none is wanted. */
  removeStale(want: VxlanIntent, have: VxlanIntent, name: string): Promise<void>;
}

export interface GarpSender {
  /** Sends gratuitous ARP for ip on dev several times in the background; never awaited. */
  announce(dev: string, ip: string): void;
  /** Cancels announcements of ip still pending (the address is being released). */
  cancel?(ip: string): void;
}

/**
 * The kernel lease (render/lease.ts): which egress IPs this node may announce, each with a kernel
 * timeout that runs out even when the agent is dead.
 */
export interface LeaseTable {
  /** Creates the guard if missing and sets the owned IPs; running leases are kept. Idempotent. */
  ensure(owned: readonly string[]): Promise<void>;
  /** A fresh lease of `ms` for each IP, leased or not (after the API confirmed the assignment). */
  claim(ips: readonly string[], ms: number): Promise<void>;
  /**
   * Extends running leases to `ms`; returns the IPs whose lease had run out (not revived). Each lapse
   * is reported once: an IP that lapsed is left out of later renewals until it is claimed again.
   */
  renew(ips: readonly string[], ms: number): Promise<string[]>;
  /** Ends leases now; an IP without one is ignored. */
  end(ips: readonly string[]): Promise<void>;
  /** The guard's state: in place (tables, sets, rules), the owned IPs, the running leases. */
  read(): Promise<{ guard: boolean; owned: Set<string>; leased: Set<string> }>;
  /** Removes the guard altogether (cleanup). */
  remove(): Promise<void>;
}

/** The egress guard (render/guard.ts): one nftables table of ours. */
export interface GuardTable {
  /** The table's hash comment and rule count; null when there is no such table. */
  read(): Promise<{ hash: string; rules: number } | null>;
  /** Replaces the table whole with this `nft -f` batch (one transaction). */
  apply(text: string): Promise<void>;
  /** Removes the table; absent is not an error. */
  remove(): Promise<void>;
}

export interface ConntrackFlusher {
  /** Deletes every conntrack entry SNATed to or addressed to these IPs; none is not an error. */
  forget(ips: readonly string[]): Promise<void>;
}

export interface Kernel {
  ipset: IpsetRestorer;
  /** Optional fast path for small membership changes (a pod added or removed). */
  ipsetMembers?: IpsetMembers;
  iptables: IptablesRestorer;
  rules: RuleTable;
  routes: RouteTable;
  addresses: AddressManager;
  vxlan: VxlanManager;
  garp: GarpSender;
  /** the kernel lease (issue 14); absent in fakes that do not model it: the plan then holds no lease operation */
  lease?: LeaseTable;
  conntrack?: ConntrackFlusher;
  /** the egress guard (issue 12); absent in fakes that do not model it: the plan then holds no guard operation */
  guard?: GuardTable;
}
