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
  /** the kernel lease (render/lease.ts); absent when the kernel has no lease table */
  lease?: LeaseView;
  /** the egress guard (render/guard.ts): null when missing; absent when the kernel has no guard table */
  guard?: { hash: string; rules: number } | null;
}

export interface LeaseView {
  /** the guard's tables, sets and rules are all in place */
  guard: boolean;
  owned: ReadonlySet<string>;
  /** egress IPs whose lease runs now */
  leased: ReadonlySet<string>;
}

/** How the pass may use the kernel lease (issue 14). */
export interface LeasePlan {
  /** every egress IP of the cluster: the guard keeps the node silent for any it has no lease for */
  guarded: readonly string[];
  /**
   * The managers vouch for this node now and the API confirmed what it holds: it may take a lease
   * (and announce). False after a start or a lapse until then: addresses may be added, silently.
   */
  claim: boolean;
  ms: number;
  /**
   * Egress IPs whose flows (conntrack entries) stay when the address goes or comes back: withheld by
   * the self-fence while the API still names this node (agent/tenure.ts) — one tenure, resumed. Any
   * other address that goes or comes forgets its flows (an earlier tenure's would hang connections).
   */
  keepFlows?: ReadonlySet<string>;
}

export interface PlanConfig {
  render: RenderConfig;
  /** the kernel offers in-place set member changes (Kernel.ipsetMembers) */
  inPlaceMembers: boolean;
  /** egress addresses we applied before: ours even without our label */
  knownAddresses: ReadonlySet<string>;
  /** absent: the kernel has no lease table and the plan holds no lease operation */
  lease?: LeasePlan;
}

/**
 * One kernel call each. Every operation is idempotent against the state it was planned from, and
 * the plan holds only operations with something to do (except `vxlan-add`, see plan.ts).
 */
export type Operation =
  | { op: 'vxlan-add'; want: VxlanIntent; have: VxlanIntent }
  /** replace the egress guard table whole */
  | { op: 'guard-apply'; text: string }
  | { op: 'guard-remove' }
  | { op: 'ipset-restore'; text: string }
  | { op: 'ipset-members'; changes: MemberChange[] }
  | { op: 'address-del'; dev: string; ips: string[] }
  | { op: 'route-replace'; routes: RouteIntent[] }
  | { op: 'rule-add'; rules: RuleIntent[] }
  /** `handover`: the first of two restores, keeping the SNAT of a released IP (natHandover) */
  | { op: 'iptables-restore'; text: string; handover: boolean }
  | { op: 'address-add'; dev: string; ips: string[] }
  /** announce those of `ips` that the preceding address-add newly added, or all of them when `always` */
  | { op: 'garp'; dev: string; ips: string[]; always?: boolean }
  | { op: 'lease-setup'; owned: string[] }
  | { op: 'lease-claim'; ips: string[]; ms: number }
  | { op: 'lease-end'; ips: string[] }
  /** forget the conntrack state of an earlier tenure of these egress IPs */
  | { op: 'conntrack-forget'; ips: string[] }
  | { op: 'lease-remove' }
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
