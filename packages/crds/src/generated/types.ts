// generated — do not edit. Source: packages/crds/schema/*.yaml; regenerate with
// `npm run gen -w @static-egress/crds`. src/generated/drift.test.ts fails when this file drifts.
import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';

/**
 * ClusterStaticEgressIP makes the selected pods of every namespace its namespaceSelector selects
 * leave the cluster with one of the listed egress IPs when they talk to the destination CIDRs. Each
 * egress IP must be in an EgressIPPool that admits every selected namespace. A StaticEgressIP of
 * the pod's own namespace takes precedence at the same destination specificity.
 */
export interface ClusterStaticEgressIP {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec: ClusterStaticEgressIPSpec;
  status?: ClusterStaticEgressIPStatus;
}

/** ClusterStaticEgressIPList is a list of ClusterStaticEgressIP. */
export interface ClusterStaticEgressIPList {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ListMeta;
  items: ClusterStaticEgressIP[];
}

/** ClusterStaticEgressIPSpec is the desired egress behaviour. */
export interface ClusterStaticEgressIPSpec {
  /**
   * Source addresses, IPv4 or IPv6, for the selected pods' traffic. Each family's traffic uses an
   * egress IP of its own family; with egress IPs of one family only, the other family's traffic
   * keeps the node's address. Each is held by a different gateway node at a time (per family); each
   * pod is pinned to one of them by a stable hash. IPv6 in canonical form (2001:db8::1).
   */
  egressIPs: string[];
  /**
   * Selects namespaces by label (a metav1.LabelSelector). Required; an empty selector selects every
   * namespace.
   */
  namespaceSelector: LabelSelector;
  /**
   * Selects pods of the selected namespaces by label (a metav1.LabelSelector). Absent or empty
   * selects every pod of those namespaces.
   */
  podSelector?: LabelSelector;
  /**
   * Destinations whose traffic uses the egress IPs, IPv4 or IPv6 (each of a family the policy has
   * an egress IP of). Absent means everywhere for each family of the egress IPs: 0.0.0.0/0, ::/0 or
   * both. The cluster's pod and service CIDRs are always excluded.
   */
  destinationCIDRs?: string[];
  /** Destinations inside destinationCIDRs that keep the node's address. */
  excludedCIDRs?: string[];
}

export interface LabelSelector {
  /** Labels that must all be present with these values. */
  matchLabels?: { [key: string]: string };
  /** Requirements that must all hold. */
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** ClusterStaticEgressIPStatus is written by the gateway manager. */
export interface ClusterStaticEgressIPStatus {
  /** The metadata.generation the status was computed from. */
  observedGeneration?: number;
  /** The gateway node currently holding each egress IP. Unassigned IPs are absent. */
  assignments?: EgressIPAssignment[];
  /**
   * The nodes of assignments, in the same order (a node appears once). Written for `kubectl get`,
   * which cannot list every element of assignments in a column.
   */
  nodes?: string[];
  /** Ready, Assigned, Programmed and Conflict, in the metav1.Condition shape. */
  conditions?: Condition[];
}

export interface EgressIPAssignment {
  egressIP: string;
  node: string;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/**
 * EgressIPPool is owned by the cluster admin. It says which egress IPs exist, which namespaces may
 * claim them and which nodes may hold them. An egress IP of a StaticEgressIP is honoured only if a
 * pool contains it and admits the policy's namespace.
 */
export interface EgressIPPool {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec: EgressIPPoolSpec;
  status?: EgressIPPoolStatus;
}

/** EgressIPPoolList is a list of EgressIPPool. */
export interface EgressIPPoolList {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ListMeta;
  items: EgressIPPool[];
}

/** EgressIPPoolSpec is the admin's allocation policy. */
export interface EgressIPPoolSpec {
  /** Address ranges of this pool. Entries must not overlap. */
  cidrs: EgressIPPoolCIDR[];
  /**
   * The node label whose value is a node's zone: an address of a cidr with a zone is held only by
   * nodes with that value, and a pod prefers an egress IP held in its own node's zone.
   * @default "topology.kubernetes.io/zone"
   */
  topologyKey?: string;
  /**
   * Namespaces whose StaticEgressIPs may use this pool's addresses. Absent or empty admits every
   * namespace.
   */
  namespaceSelector?: LabelSelector;
  /**
   * Nodes that may hold this pool's addresses as gateways, usually by the staticegress.io/gateway
   * label. Absent or empty admits every node.
   */
  nodeSelector?: LabelSelector;
  /**
   * How many of this pool's addresses one node may hold (cloud capacity). The node annotation
   * staticegress.io/max-egress-ips may lower it for one node.
   * @default 8
   */
  maxIPsPerNode?: number;
}

export interface EgressIPPoolCIDR {
  /**
   * An IPv4 or IPv6 network, such as 192.0.2.96/27 or 2001:db8::/64 (IPv6 in canonical form). Not
   * usable: an IPv4 network's network and broadcast addresses (but for /31, /32), an IPv6 network's
   * subnet-router anycast address (its first; but for /127, /128).
   */
  cidr: string;
  /**
   * The topology value (a zone) of this range: its addresses are held only by nodes whose label
   * spec.topologyKey has this value. Either every entry has one or none does. Several entries may
   * name the same zone.
   */
  zone?: string;
  /** Addresses of the cidr that must never be handed out (router, broadcast, ...). */
  reserved?: string[];
}

/** EgressIPPoolStatus is written by the gateway manager. */
export interface EgressIPPoolStatus {
  observedGeneration?: number;
  /** Usable addresses (all addresses of the cidrs minus reserved ones). */
  capacity?: number;
  /** Addresses claimed by authorized StaticEgressIPs. */
  allocated?: number;
  /** Addresses currently held by a gateway node. */
  assigned?: number;
  /** Conditions in the metav1.Condition shape. */
  conditions?: Condition[];
}

/**
 * StaticEgressIP makes the selected pods of its namespace leave the cluster with one of the listed
 * egress IPs when they talk to the destination CIDRs. Each egress IP must be in an EgressIPPool
 * that admits this namespace.
 */
export interface StaticEgressIP {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec: StaticEgressIPSpec;
  status?: StaticEgressIPStatus;
}

/** StaticEgressIPList is a list of StaticEgressIP. */
export interface StaticEgressIPList {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ListMeta;
  items: StaticEgressIP[];
}

/** StaticEgressIPSpec is the desired egress behaviour. */
export interface StaticEgressIPSpec {
  /**
   * Source addresses, IPv4 or IPv6, for the selected pods' traffic. Each family's traffic uses an
   * egress IP of its own family; with egress IPs of one family only, the other family's traffic
   * keeps the node's address. Each is held by a different gateway node at a time (per family); each
   * pod is pinned to one of them by a stable hash. IPv6 in canonical form (2001:db8::1).
   */
  egressIPs: string[];
  /**
   * Selects pods of this namespace by label (a metav1.LabelSelector). Mutually exclusive with
   * serviceName. When both are absent, every pod of the namespace is selected; an empty selector
   * also selects every pod.
   */
  podSelector?: LabelSelector;
  /**
   * Selects the pods behind the Service of this name in this namespace (by the Service's selector).
   * Mutually exclusive with podSelector.
   */
  serviceName?: string;
  /**
   * Destinations whose traffic uses the egress IPs, IPv4 or IPv6 (each of a family the policy has
   * an egress IP of). Absent means everywhere for each family of the egress IPs: 0.0.0.0/0, ::/0 or
   * both. The cluster's pod and service CIDRs are always excluded.
   */
  destinationCIDRs?: string[];
  /** Destinations inside destinationCIDRs that keep the node's address. */
  excludedCIDRs?: string[];
}

/** StaticEgressIPStatus is written by the gateway manager. */
export interface StaticEgressIPStatus {
  /** The metadata.generation the status was computed from. */
  observedGeneration?: number;
  /** The gateway node currently holding each egress IP. Unassigned IPs are absent. */
  assignments?: EgressIPAssignment[];
  /**
   * The nodes of assignments, in the same order (a node appears once). Written for `kubectl get`,
   * which cannot list every element of assignments in a column.
   */
  nodes?: string[];
  /** Ready, Assigned, Programmed and Conflict, in the metav1.Condition shape. */
  conditions?: Condition[];
}

/**
 * StaticEgressNode is written by the node agent of the node of the same name: what it has
 * programmed in that node's kernel after its last successful sync. The manager reads it to set each
 * StaticEgressIP's Programmed condition; `kubectl egress trace` reads it too.
 */
export interface StaticEgressNode {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  status?: StaticEgressNodeStatus;
}

/** StaticEgressNodeList is a list of StaticEgressNode. */
export interface StaticEgressNodeList {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ListMeta;
  items: StaticEgressNode[];
}

/** StaticEgressNodeStatus is what the agent programmed. */
export interface StaticEgressNodeStatus {
  /** Egress IPs this node holds as a gateway (address on the uplink, SNAT in place). */
  gatewayIPs?: string[];
  /** Redirects this node programmed as a director, by egress IP. */
  directed?: StaticEgressNodeStatusDirected[];
  /** True while the agent has fenced itself (no manager contact) and holds no egress IP. */
  fenced?: boolean;
  /**
   * True once the agent stopped (SIGTERM: a restart, a drain, an uninstall). Its kernel state is
   * left in place for its successor, but nothing maintains it until an agent runs again and
   * reports.
   */
  stopped?: boolean;
  /** When the agent last changed this status. */
  updateTime?: string;
}

export interface StaticEgressNodeStatusDirected {
  egressIP: string;
  /** Pod IPs of this node steered to egressIP. */
  podIPs?: string[];
}
