// The cluster as both daemons see it: the watched objects parsed at the edge, once, into the
// semantics' inputs. The manager and the agent build it with this one function, so they agree on
// which objects are valid, which IPs are authorized and which pods each policy owns. Pure.
import type { V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { CSEIP_KIND, POOL_KIND, SEIP_KIND } from '../constants.js';
import type { ClusterStaticEgressIP, EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { authorizeEgressIPs } from './authorize.js';
import { nodeAddressesOf, podInfoFromPod, serviceInfoFromService } from './convert.js';
import { ParseError } from './errors.js';
import { keyOf } from './keys.js';
import { parseClusterPolicy } from './parse-cluster.js';
import { parsePolicy, parsePool } from './parse.js';
import { selectPods } from './select-pods.js';
import type { AuthorizedIP, Labels, PodInfo, PodSelection, Policy, Pool } from './types.js';

/** The informer caches' contents (objects from the cache are never mutated). */
export interface ClusterSnapshot {
  policies: readonly StaticEgressIP[];
  /** ClusterStaticEgressIPs (issue 9); absent reads as none. */
  clusterPolicies?: readonly ClusterStaticEgressIP[];
  pools: readonly EgressIPPool[];
  pods: readonly V1Pod[];
  nodes: readonly V1Node[];
  services: readonly V1Service[];
  namespaces: readonly V1Namespace[];
}

/** What both daemons need of a Node. */
export interface NodeInfo {
  name: string;
  labels: Labels;
  annotations: Labels;
  /** The Ready condition is True (NotReady counts as unhealthy at once). */
  ready: boolean;
  /** spec.unschedulable: the node drains. */
  cordoned: boolean;
  /** metadata.deletionTimestamp is set. */
  deleted: boolean;
  /** The InternalIP the agent is probed on and directors route to: the first IPv4 one, else the first IPv6 one. */
  internalIP?: string;
  /** The first IPv6 InternalIP (issue 11). */
  internalIPv6?: string;
  /** Every address of status.addresses, both families (egress IPs must not be one). */
  addresses: string[];
  /** spec.providerID (cloud mode: which machine the node is). */
  providerID?: string;
}

/** An object that does not parse; both daemons skip it and report it the same way. */
export type BadObject =
  | { kind: typeof SEIP_KIND; key: string; message: string; object: StaticEgressIP }
  | { kind: typeof CSEIP_KIND; key: string; message: string; object: ClusterStaticEgressIP }
  | { kind: typeof POOL_KIND; key: string; message: string; object: EgressIPPool };

export interface ClusterView {
  /** Valid policies, in cache order: the StaticEgressIPs, then the ClusterStaticEgressIPs (scope 'Cluster'). */
  policies: Policy[];
  /** Valid pools, in cache order. */
  pools: Pool[];
  /** The objects behind `policies` and `pools` by key (their current status), and the bad ones. */
  policyObjects: ReadonlyMap<string, StaticEgressIP | ClusterStaticEgressIP>;
  poolObjects: ReadonlyMap<string, EgressIPPool>;
  nodes: NodeInfo[];
  /** Every address of every node: an egress IP must be none of them. */
  nodeAddresses: ReadonlySet<string>;
  namespaceLabels: ReadonlyMap<string, Labels>;
  /** policy key → its egress IPs, authorized or with the problem (authorizeEgressIPs). */
  authorization: Map<string, AuthorizedIP[]>;
  pods: PodInfo[];
  /** pod key → the policy that owns it and the younger ones that select it too (selectPods). */
  selection: Map<string, PodSelection>;
  bad: BadObject[];
}

/** Reads a Node: NotReady, cordon and deletion as the manager and the agent both read them. */
export function parseNode(node: V1Node): NodeInfo {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const { internalIP, internalIPv6, addresses } = nodeAddressesOf(node);
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    ready,
    cordoned: node.spec?.unschedulable === true,
    deleted: node.metadata?.deletionTimestamp !== undefined,
    ...(internalIP ? { internalIP } : {}),
    ...(internalIPv6 ? { internalIPv6 } : {}),
    addresses,
    ...(node.spec?.providerID ? { providerID: node.spec.providerID } : {}),
  };
}

export function parseClusterView(snap: ClusterSnapshot): ClusterView {
  const bad: BadObject[] = [];
  const policies: Policy[] = [];
  const policyObjects = new Map<string, StaticEgressIP | ClusterStaticEgressIP>();
  for (const object of snap.policies) {
    const key = keyOf(object);
    policyObjects.set(key, object);
    const message = tryParse(() => policies.push(parsePolicy(object)));
    if (message !== undefined) bad.push({ kind: SEIP_KIND, key, message, object });
  }
  // Their keys are bare names, a namespaced policy's always hold a '/': the two never collide.
  for (const object of snap.clusterPolicies ?? []) {
    const key = keyOf(object);
    policyObjects.set(key, object);
    const message = tryParse(() => policies.push(parseClusterPolicy(object)));
    if (message !== undefined) bad.push({ kind: CSEIP_KIND, key, message, object });
  }
  const pools: Pool[] = [];
  const poolObjects = new Map<string, EgressIPPool>();
  for (const object of snap.pools) {
    const key = keyOf(object);
    poolObjects.set(key, object);
    const message = tryParse(() => pools.push(parsePool(object)));
    if (message !== undefined) bad.push({ kind: POOL_KIND, key, message, object });
  }
  const nodes = snap.nodes.map(parseNode);
  const nodeAddresses = new Set(nodes.flatMap((n) => n.addresses));
  const namespaceLabels = new Map(snap.namespaces.map((n) => [n.metadata?.name ?? '', { ...(n.metadata?.labels ?? {}) }]));
  const pods = snap.pods.map(podInfoFromPod);
  return {
    policies,
    pools,
    policyObjects,
    poolObjects,
    nodes,
    nodeAddresses,
    namespaceLabels,
    authorization: authorizeEgressIPs(policies, pools, namespaceLabels, nodeAddresses),
    pods,
    selection: selectPods(policies, pods, snap.services.map(serviceInfoFromService), namespaceLabels),
    bad,
  };
}

/** undefined when `parse` succeeds, else what is wrong (`field: detail`). Other errors are bugs and throw. */
function tryParse(parse: () => void): string | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return `${err.field}: ${err.detail}`;
  }
}
