// The input and output of assignEgressIPs (DESIGN §4).
import type { LabelSelector } from '@static-egress/crds';

export interface AssignPolicy {
  /** 'namespace/name' */
  key: string;
  /** creationTimestamp in ms; older policies are placed (and keep capacity) first. */
  createdAt: number;
  /** Only the authorized egress IPs of the policy, each with the pool that admitted it. */
  ips: readonly { ip: string; pool: string }[];
}

export interface AssignPool {
  name: string;
  nodeSelector?: LabelSelector;
  maxIPsPerNode: number;
}

export interface AssignNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  ready: boolean;
  /** spec.unschedulable: the node drains. */
  cordoned: boolean;
  /** A tombstone: the Node object is gone. A node missing from the list counts as deleted too. */
  deleted?: boolean;
}

export interface AssignInput {
  policies: readonly AssignPolicy[];
  pools: readonly AssignPool[];
  nodes: readonly AssignNode[];
  /**
   * Probe verdict per node. `true`: healthy. `false`: failed the probe threshold. Missing: not probed
   * yet (e.g. just after a leader takeover) — the node keeps what it holds but claims nothing new.
   */
  health: ReadonlyMap<string, boolean>;
  /** ip → node, the assignments currently published (status.assignments of every policy). */
  previous: ReadonlyMap<string, string>;
  /** ip → node that was told to release it and has not been seen to let go yet. */
  releasing?: ReadonlyMap<string, string>;
  /** The capacity annotation (MAX_IPS_ANNOTATION); it can only lower a pool's maxIPsPerNode. */
  capacityAnnotation: string;
}

export type UnassignedReason = 'Draining' | 'NoGatewayAvailable';

export interface Unassigned {
  ip: string;
  policyKey: string;
  reason: UnassignedReason;
  /** For Draining: the node that is releasing the IP. */
  node?: string;
}

export type MoveKind =
  /** The previous holder died (deleted, NotReady, failed probes); claimed at once. */
  | 'failover'
  /** The previous holder released it (drain confirmed); this pass places it. */
  | 'handover'
  /** Placed for the first time. */
  | 'new'
  /** Taken from a live holder; the IP stays unassigned until the release is confirmed. */
  | 'release';

export interface Move {
  ip: string;
  policyKey: string;
  from?: string;
  to?: string;
  kind: MoveKind;
}

export interface AssignResult {
  assignments: Map<string, string>;
  unassigned: Unassigned[];
  moves: Move[];
  /** ip → node that still has to confirm its release; feed back as `input.releasing`. */
  releasing: Map<string, string>;
}
