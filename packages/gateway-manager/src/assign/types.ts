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
  /** Zones (issue 9): an IP of a cidr with a zone goes only to nodes whose label topologyKey equals it. */
  cidrs?: readonly { cidr: string; zone?: string }[];
  /** Default DEFAULT_TOPOLOGY_KEY. */
  topologyKey?: string;
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
  /** Standbys per IP the agents keep (their --standbys-per-ip; default crds STANDBYS_PER_IP): a moved IP prefers them. */
  standbysPerIP?: number;
  /** The capacity annotation (MAX_IPS_ANNOTATION); it can only lower a pool's maxIPsPerNode. */
  capacityAnnotation: string;
  /**
   * Cloud mode (`--cloud-provider`): node → where its cloud interface can hold egress IPs. An IP is
   * eligible only on nodes with a subnet containing it, and a node holds at most `capacity` egress
   * IPs; a node absent from the map holds none. Undefined: no cloud, no such limits.
   */
  cloud?: ReadonlyMap<string, CloudPlacement>;
}

export interface CloudPlacement {
  /** CIDRs of the subnets the node's interface can hold addresses of. */
  subnets: readonly string[];
  /** How many egress IPs the interface can hold in all (those it holds now included). */
  capacity: number;
}

/**
 * Why an IP has no node. Cloud mode adds `NoSubnet` (no node's subnet contains it), `NoCapacity`
 * (nodes in its subnet are healthy but full) and, from the pass, `CloudPending` (placed, but the
 * cloud does not hold it on that node yet).
 */
export type UnassignedReason = 'Draining' | 'NoGatewayAvailable' | 'NoSubnet' | 'NoCapacity' | 'CloudPending';

export interface Unassigned {
  ip: string;
  policyKey: string;
  reason: UnassignedReason;
  /** For Draining: the node that is releasing the IP; for CloudPending: the node it goes to. */
  node?: string;
  /** For CloudPending: the cloud API's last error, if a call failed. */
  error?: string;
  /** The IP's zone when its pool has zones: only nodes of that zone may hold it. */
  zone?: string;
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
