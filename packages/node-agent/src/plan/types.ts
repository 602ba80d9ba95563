// The plan's vocabulary: what the kernel holds (read, or modelled from our last apply) and the
// operations that move it to the desired state, in the order they must run.
import type { MemberChange, OwnedAddress } from '../kernel/interfaces.js';
import type { ParsedIptables } from '../render/parse.js';
import type { IpsetSpec, RenderConfig, RouteIntent, RuleIntent, VxlanIntent } from '../render/types.js';

/** Our objects in the kernel, within our prefixes and ranges. */
export interface KernelView {
  ipsets: Map<string, IpsetSpec>;
  iptables: ParsedIptables;
  rules: RuleIntent[];
  routes: RouteIntent[];
  /** every /32 on the uplink; `owned` when it carries our label */
  addresses: OwnedAddress[];
  vxlan: VxlanIntent;
}

export interface PlanConfig {
  render: RenderConfig;
  /** the kernel offers in-place set member changes (Kernel.ipsetMembers) */
  inPlaceMembers: boolean;
  /** egress addresses we applied before: ours even without our label */
  knownAddresses: ReadonlySet<string>;
}

/**
 * One kernel call each. Every operation is idempotent against the state it was planned from, and
 * the plan holds only operations with something to do (except `vxlan-add`, see plan.ts).
 */
export type Operation =
  | { op: 'vxlan-add'; want: VxlanIntent; have: VxlanIntent }
  | { op: 'ipset-restore'; text: string }
  | { op: 'ipset-members'; changes: MemberChange[] }
  | { op: 'address-del'; dev: string; ips: string[] }
  | { op: 'route-replace'; routes: RouteIntent[] }
  | { op: 'rule-add'; rules: RuleIntent[] }
  /** `handover`: the first of two restores, keeping the SNAT of a released IP (natHandover) */
  | { op: 'iptables-restore'; text: string; handover: boolean }
  | { op: 'address-add'; dev: string; ips: string[] }
  /** announce those of `ips` that the preceding address-add newly added */
  | { op: 'garp'; dev: string; ips: string[] }
  | { op: 'rule-del'; rules: RuleIntent[] }
  | { op: 'route-del'; routes: RouteIntent[] }
  | { op: 'ipset-destroy'; names: string[]; text: string }
  | { op: 'vxlan-remove'; want: VxlanIntent; have: VxlanIntent; name: string };

export type OperationKind = Operation['op'];

export interface ChangeCounts { ipsets: number; chains: number; rules: number; routes: number; addresses: number; vxlan: number }

export interface Plan {
  ops: Operation[];
  changed: ChangeCounts;
  /** the egress addresses on the uplink that are ours or wanted, before the plan runs */
  held: string[];
}
