// Internal forms the parsers produce. Both daemons compute on these, never on raw objects.
import type { LabelSelector, LabelSelectorRequirement } from '../generated/types.js';

export type { LabelSelector, LabelSelectorRequirement };

export type Labels = Readonly<Record<string, string>>;

/** Namespaced: a StaticEgressIP; Cluster: a ClusterStaticEgressIP (issue 9). */
export type PolicyScope = 'Namespaced' | 'Cluster';

/**
 * A parsed, validated StaticEgressIP or ClusterStaticEgressIP. Addresses and CIDRs are in canonical
 * text form.
 */
export interface Policy {
  /** `namespace/name`, or `name` for a ClusterStaticEgressIP (see policyKey): the two never collide. */
  key: string;
  /** Absent means Namespaced (parsePolicy); parseClusterPolicy sets 'Cluster'. */
  scope?: PolicyScope;
  /** Cluster scope only: the namespaces whose pods podSelector picks from (required there). */
  namespaceSelector?: LabelSelector;
  /** '' for a ClusterStaticEgressIP. */
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  /** metadata.creationTimestamp in ms since the epoch (0 when absent). */
  createdAt: number;
  /** In spec order, no duplicates. */
  egressIPs: string[];
  podSelector?: LabelSelector;
  serviceName?: string;
  /** Defaults to ['0.0.0.0/0']. */
  destinationCIDRs: string[];
  excludedCIDRs: string[];
  /** status.assignments: egress IP → node name. */
  assignments: Map<string, string>;
}

export interface PoolCIDR {
  cidr: string;
  reserved: string[];
  /** The topology value its addresses are held in (nodes labelled topologyKey=zone); all or no cidrs of a pool have one. */
  zone?: string;
}

/** A parsed, validated EgressIPPool. */
export interface Pool {
  name: string;
  cidrs: PoolCIDR[];
  /** Absent admits every namespace. */
  namespaceSelector?: LabelSelector;
  /** Absent admits every node. */
  nodeSelector?: LabelSelector;
  /** Defaults to 8. */
  maxIPsPerNode: number;
  /** The node label naming a node's zone; absent means DEFAULT_TOPOLOGY_KEY (parsePool always sets it). */
  topologyKey?: string;
}

/** What the semantics need of a Pod; build it with podInfoFromPod. */
export interface PodInfo {
  /** `namespace/name` (see podKey). */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Labels;
  /** spec.nodeName; absent or '' while the pod is unscheduled. */
  nodeName?: string;
  /** The pod's IPv4 address (of status.podIPs), kept for the IPv4 data path; absent on an IPv6-only pod. */
  podIP?: string;
  /**
   * Every address of status.podIPs (status.podIP when that list is empty), canonical text, in
   * status order, so at most one per family; absent when the pod has none yet (issue 11).
   */
  podIPs?: string[];
  /** status.phase; Succeeded and Failed pods are never selected. */
  phase?: string;
  /** hostNetwork pods share the node's address and are never selected. */
  hostNetwork?: boolean;
}

/** What the semantics need of a Service; build it with serviceInfoFromService. */
export interface ServiceInfo {
  namespace: string;
  name: string;
  /** spec.selector; absent or empty selects no pods (as for the Service itself). */
  selector?: Labels;
}

export interface IPProblem {
  reason: string;
  message: string;
}

/** One egress IP of a policy after authorization. No problem means it may be assigned. */
export interface AuthorizedIP {
  ip: string;
  /** The pool whose rules apply (the first by name that contains the IP and admits the namespace). */
  pool?: string;
  problem?: IPProblem;
}

/** A policy of a pod shadowed on an identical destination prefix by one that precedes it (destinations.ts). */
export interface DestinationConflict {
  /** The policy that applies on `cidr` (except where it excludes a destination). */
  winner: string;
  /** It gets a PodConflict condition naming the winner. */
  loser: string;
  cidr: string;
}

/** The policies that select a pod; which one a packet uses is resolveDestination's answer (destinations.ts). */
export interface PodSelection {
  /** Every policy that selects the pod, by comparePolicyPrecedence (its first on a tie). */
  policyKeys: string[];
  /** Identical destination prefixes among them. */
  conflicts: DestinationConflict[];
}
