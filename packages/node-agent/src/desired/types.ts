// The agent's internal view of the cluster (inputs) and of this node's data path (outputs).
// Inputs are the parsed forms from @static-egress/crds, narrowed to what the agent reads, so the
// pure layers can be tested without the API types.
import type { DestinationRoute, PolicyScope } from '@static-egress/crds';

export type Mode = 'direct' | 'vxlan';

/** The fields of crds' `Policy` the agent uses. */
export interface PolicyView {
  key: string; // 'ns/name'
  /** creationTimestamp, ms: orders policies on an identical destination prefix (absent: 0). */
  createdAt?: number;
  scope?: PolicyScope;
  egressIPs: string[];
  destinationCIDRs: string[];
  excludedCIDRs: string[];
  /** egress IP → node name, from status.assignments */
  assignments: ReadonlyMap<string, string>;
}

/** The fields of crds' `PodInfo` the agent uses. */
export interface PodView {
  key: string; // 'ns/name'
  uid: string;
  nodeName: string;
  podIP?: string;
  /** every family's address (status.podIPs); podIP is the first (desired/family.ts picks per family) */
  podIPs?: string[];
}

/** Owned kernel ranges (DESIGN §1): one fwmark bit range, one table range, one rule-priority range. */
export interface OwnedRanges {
  markMask: number;
  tableMin: number;
  tableMax: number;
  priorityMin: number;
  priorityMax: number;
}

export interface NodeStateInput {
  nodeName: string;
  nodeIP: string;
  mode: Mode;
  policies: PolicyView[];
  /** policy key → egress IPs that passed authorizeEgressIPs (no problem) */
  authorizedIPs: ReadonlyMap<string, readonly string[]>;
  /** pod key → the keys of every policy that selects it (selectPods); each packet uses one (resolveDestination) */
  selection: ReadonlyMap<string, readonly string[]>;
  pods: PodView[];
  /** node name → node IP (InternalIP) */
  nodes: ReadonlyMap<string, string>;
  clusterCIDRs: string[];
  ranges: OwnedRanges;
  /** pin a pod to one of the policy's IPs (crds pinEgressIP), among the `prefer`red ones when any */
  pin: (podUID: string, ips: string[], prefer?: (ip: string) => boolean) => string;
  /** zones (issue 9): the IPs held in the zone of a pod's node (crds computeZonePreference); absent: no preference */
  nearIPs?: (podNode: string) => ((ip: string) => boolean) | undefined;
  /** egress IP → slot from the previous state, so marks/tables stay put while keys come and go */
  previousSlots?: ReadonlyMap<string, number>;
  /** self-fenced: hold no egress addresses */
  fenced?: boolean;
  /** hold only these of the gateway's egress IPs (after fencing, until the cache is confirmed) */
  holdOnly?: ReadonlySet<string>;
  /**
   * Standby (issue 16 §1): whether this node may take over `ip` (the manager's rule: Ready, not
   * cordoned, admitted by the IP's pool and in its zone). Its SNAT is then programmed ahead, without
   * the address, so a takeover is lease + address + GARP. Absent: no standby.
   */
  standbyFor?: (ip: string) => boolean;
  /**
   * VXLAN mode (issue 16 §1): the nodes that stand by for `ip`. A director has them as tunnel peers
   * ahead (neighbour + FDB entry), so the takeover of an IP it directs changes its route only — no
   * `ip`/`bridge` process on the failover's path. Absent: the holder alone is a peer.
   */
  standbysOf?: (ip: string) => readonly string[];
  /**
   * Direct mode (issue 16 §3): egress IPs this director routed via themselves in its last state. One
   * of them left without a holder (a planned move between its release and its claim) stays routed via
   * itself instead of turning unreachable: nobody answers ARP for it meanwhile (the released holder's
   * lease ended, and no other node has one), so its packets still go nowhere — and the next holder's
   * GARP alone brings them back, without waiting for this director to see the new status.
   */
  previousDirect?: ReadonlySet<string>;
}

export type DirectorRoute =
  | { kind: 'direct'; via: string } // default via <egressIP> onlink dev <uplink>
  | { kind: 'vxlan'; via: string; gatewayNode: string } // default via <gateway node IP> onlink dev segress.vx
  | { kind: 'unreachable' };

/** Local pods pinned to an egress IP held by another node (or by none). */
export interface DirectorEntry {
  policyKey: string;
  egressIP: string;
  podIPs: string[]; // sorted
  destinationCIDRs: string[];
  excludedCIDRs: string[];
  slot: number;
  mark: number;
  table: number;
  priority: number;
  route: DirectorRoute;
}

/** An egress IP held by this node: address + SNAT for the policy's pods. */
export interface GatewayEntry {
  policyKey: string;
  egressIP: string;
  podIPs: string[]; // sorted
  destinationCIDRs: string[];
  excludedCIDRs: string[];
}

/**
 * Leak guard (fail closed during moves): this node's FORWARD drops a policy's pods' unmarked packets
 * to its destinations. Such a packet reaches a node that is not its gateway only by mistake — a
 * director's stale ARP entry (or route) still pointing at the old gateway after its egress IP
 * moved — and would otherwise leave with this node's IP through the CNI's masquerade.
 */
export interface LeakGuardEntry {
  policyKey: string;
  /** stable short hash of policyKey: names the guard's set and chain */
  id: string;
  // its pods (every selected pod of the policy, cluster-wide) are in the guard classes naming it
  destinationCIDRs: string[];
  excludedCIDRs: string[];
}

/** One policy of a director class's pods: the egress IP they are pinned to, redirected or held here. */
export interface ClassPin {
  policyKey: string;
  egressIP: string;
  /** director: redirected (a DirectorEntry of this IP); claim: held here (a GatewayEntry), the mark is cleared */
  kind: 'director' | 'claim';
}

/** Local pods with the same pins (desired/classes.ts): one set; the mark rules walk its pins' destinations. */
export interface DirectorClass {
  /** stable short hash of the pins: names the set and chain */
  id: string;
  podIPs: string[]; // sorted
  pins: ClassPin[]; // by policy key
}

/** Pods (every node) under the same policies' leak guards: one set, jumping to each guard's chain. */
export interface GuardClass {
  id: string;
  podIPs: string[]; // sorted
  /** LeakGuardEntry ids, sorted */
  guards: string[];
}

export interface VxlanPeer {
  node: string;
  ip: string;
}

export interface NodeState {
  /** the address family of every address and CIDR in it (desired/family.ts); absent: IPv4 */
  family?: 6;
  mode: Mode;
  nodeIP: string;
  clusterCIDRs: string[];
  markMask: number;
  director: DirectorEntry[]; // sorted by egressIP
  gateway: GatewayEntry[]; // sorted by egressIP
  /**
   * Standby (issue 16 §1): egress IPs of policies this node holds no IP of, but may take over — their
   * SNAT sets and chains exactly as a gateway entry's, without the address (and no claim, no lease).
   * A packet that reaches this node and leaves with such an IP while it is not a local address is
   * dropped by the egress guard (render/guard.ts). Sorted by egressIP; absent: none.
   */
  standby?: GatewayEntry[];
  /**
   * (prefix → policy) over the policies with an entry here, most specific first (crds
   * computePodRoutes): the order of the per-destination rules, so each pod's packet meets its own
   * policies' destinations in the order resolveDestination tries them.
   */
  routes: DestinationRoute[];
  /** policies whose pods this node must not forward unmarked (none where a gateway set covers them); sorted by id */
  leakGuard: LeakGuardEntry[];
  /** the local pods' sets of the mark rules (one per distinct pinning; none with only claims); sorted by id */
  directorClasses: DirectorClass[];
  /** the leak guard's sets (one per distinct set of guarded policies); sorted by id */
  guardClasses: GuardClass[];
  /** addresses to hold on the uplink (gateway egress IPs unless fenced) */
  addresses: string[];
  vxlanPeers: VxlanPeer[]; // sorted by ip
  /** keys that found no free slot (fail: nothing programmed for them, logged loudly) */
  overflow: string[];
}
