// Names shared by every package. Changing one is an API change.

export const GROUP = 'staticegress.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;

export const SEIP_KIND = 'StaticEgressIP';
export const SEIP_PLURAL = 'staticegressips';
export const SEIP_SINGULAR = 'staticegressip';
export const SEIP_SHORT_NAME = 'seip';

/** Cluster-scoped policy (issue 9): namespaceSelector + podSelector, written by cluster admins only. */
export const CSEIP_KIND = 'ClusterStaticEgressIP';
export const CSEIP_PLURAL = 'clusterstaticegressips';
export const CSEIP_SINGULAR = 'clusterstaticegressip';
export const CSEIP_SHORT_NAME = 'cseip';

export const POOL_KIND = 'EgressIPPool';
export const POOL_PLURAL = 'egressippools';
export const POOL_SINGULAR = 'egressippool';
export const POOL_SHORT_NAME = 'eippool';

/** Cluster-scoped, one per node, written by that node's agent: what it programmed. */
export const SENODE_KIND = 'StaticEgressNode';
export const SENODE_PLURAL = 'staticegressnodes';

export const SYSTEM_NAMESPACE = 'static-egress-system';
export const LEASE_NAME = 'static-egress-manager';
/** The Secret (in SYSTEM_NAMESPACE) holding the key that signs the managers' agent probes; the agents mount it. */
export const PROBE_KEY_SECRET = 'static-egress-probe-key';

/** Node label a pool's nodeSelector usually selects gateway nodes by. */
export const GATEWAY_LABEL = `${GROUP}/gateway`;
/**
 * Namespace opt-in IPAM (docs/namespace-ipam.md): the pool a namespace asks for egress IPs from, the
 * IPs it asks for (optional, one per zone of the pool), and the allocation the manager wrote back.
 */
export const NAMESPACE_POOL_ANNOTATION = `${GROUP}/pool`;
export const NAMESPACE_EGRESS_IPS_ANNOTATION = `${GROUP}/egress-ips`;
export const NAMESPACE_ALLOCATED_IPS_ANNOTATION = `${GROUP}/allocated-ips`;
/** The StaticEgressIP the manager keeps in an opted-in namespace; it carries MANAGED_BY_LABEL. */
export const NAMESPACE_POLICY_NAME = 'namespace-egress';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'static-egress';

/** Node annotation that lowers a pool's maxIPsPerNode for that node (cloud capacity). */
export const MAX_IPS_ANNOTATION = `${GROUP}/max-egress-ips`;

export const AGENT_HEALTH_PORT = 9310;
export const MANAGER_HTTP_PORT = 9320;

export const METRICS_PREFIX = 'static_egress_';
/** Field manager used in server-side apply / status patches. */
export const FIELD_MANAGER = 'static-egress';

/** Defaults the CRD schema applies; parse* applies them too for objects not from the apiserver. */
export const DEFAULT_MAX_IPS_PER_NODE = 8;
/** A pool's spec.topologyKey when absent: the node label that names a node's zone. */
export const DEFAULT_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';
export const MAX_EGRESS_IPS = 16;
export const MAX_POLICY_CIDRS = 64;
export const MAX_POOL_CIDRS = 32;
export const MAX_POOL_RESERVED = 256;
export const MAX_IPS_PER_NODE = 1024;

export const ConditionType = {
  Ready: 'Ready',
  Assigned: 'Assigned',
  Programmed: 'Programmed',
  Conflict: 'Conflict',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

/** Condition reasons (CamelCase, as metav1.Condition requires). */
export const Reason = {
  // problems with an egress IP (authorizeEgressIPs)
  IPNotAuthorized: 'IPNotAuthorized',
  IPConflict: 'IPConflict',
  IPIsNodeAddress: 'IPIsNodeAddress',
  /** The network or broadcast address of a pool's IPv4 CIDR (issue 9 point 6): never usable. */
  IPNotUsable: 'IPNotUsable',
  // problems with pods (selectPods)
  PodConflict: 'PodConflict',
  NoConflict: 'NoConflict',
  // assignment
  Assigned: 'Assigned',
  PartiallyAssigned: 'PartiallyAssigned',
  NoGatewayAvailable: 'NoGatewayAvailable',
  // cloud mode (issue 13): no node's interface subnet holds the IP; nodes in its subnet are full; the
  // cloud does not hold it on its node yet (a call pending or failing)
  NoSubnet: 'NoSubnet',
  NoCapacity: 'NoCapacity',
  CloudPending: 'CloudPending',
  // data path
  Programmed: 'Programmed',
  NotProgrammed: 'NotProgrammed',
  // summary
  Ready: 'Ready',
  InvalidSpec: 'InvalidSpec',
  NoPodsSelected: 'NoPodsSelected',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Event reasons; all carry the EgressIP prefix so `kubectl get events` filters them easily. */
export const EventReason = {
  EgressIPNotAuthorized: 'EgressIPNotAuthorized',
  EgressIPConflict: 'EgressIPConflict',
  EgressIPIsNodeAddress: 'EgressIPIsNodeAddress',
  EgressIPNotUsable: 'EgressIPNotUsable',
  EgressIPPodConflict: 'EgressIPPodConflict',
  EgressIPAssigned: 'EgressIPAssigned',
  EgressIPMoved: 'EgressIPMoved',
  EgressIPReleased: 'EgressIPReleased',
  EgressIPUnassigned: 'EgressIPUnassigned',
  EgressIPNoGateway: 'EgressIPNoGateway',
  EgressIPInvalidSpec: 'EgressIPInvalidSpec',
  EgressIPGatewayUnhealthy: 'EgressIPGatewayUnhealthy',
  EgressIPGatewayFenced: 'EgressIPGatewayFenced',
  EgressIPNoCapacity: 'EgressIPNoCapacity',
  EgressIPNoSubnet: 'EgressIPNoSubnet',
  EgressIPCloudError: 'EgressIPCloudError',
  // namespace opt-in IPAM (on the Namespace)
  EgressIPNamespaceAllocated: 'EgressIPNamespaceAllocated',
  EgressIPNamespaceReleased: 'EgressIPNamespaceReleased',
  EgressIPNamespaceInvalid: 'EgressIPNamespaceInvalid',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

/** Event reporting component name. */
export const EVENT_SOURCE_MANAGER = 'static-egress-manager';
export const EVENT_SOURCE_AGENT = 'static-egress-agent';
