export { comparePolicyAge } from './age.js';
export { authorizeEgressIPs } from './authorize.js';
export { nodeAddressesOf, podInfoFromPod, serviceInfoFromService, type NodeAddresses } from './convert.js';
export {
  computeDestinationConflicts, computePodRoutes, computePodSelection, effectiveDestinations, excludedBy, resolveDestination,
  type DestinationRoute, type RoutePolicy,
} from './destinations.js';
export { ParseError } from './errors.js';
export { keyOf, objectKey, podKey, policyKey, splitKey } from './keys.js';
export { familiesOf, parsePolicy, parsePool, parseSelector, timestampMs } from './parse.js';
export { describePolicy, isClusterPolicy, parseClusterPolicy } from './parse-cluster.js';
export { comparePolicyPrecedence } from './precedence.js';
export { pinEgressIP, stableHash32 } from './pin.js';
export { computeStandbyRing, computeStandbys, STANDBYS_PER_IP, type RingNode } from './standby-ring.js';
export { isSelectablePod, policySelectsPod, selectPods } from './select-pods.js';
export { computeStatusNodes } from './status.js';
export { matchesSelector, matchesServiceSelector } from './selector.js';
export { computeZonePreference, nodeInZone, poolZones, topologyKeyOf, zoneOfIPIn, type ZoneView } from './zones.js';
export { parseClusterView, parseNode, type BadObject, type ClusterSnapshot, type ClusterView, type NodeInfo } from './view.js';
export type {
  AuthorizedIP,
  DestinationConflict,
  IPProblem,
  Labels,
  PodInfo,
  PodSelection,
  Policy,
  PolicyScope,
  Pool,
  PoolCIDR,
  ServiceInfo,
} from './types.js';
