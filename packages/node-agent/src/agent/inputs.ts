// From the watched API objects to computeNodeState's input, with the shared semantics of
// @static-egress/crds (so the manager and the agent never disagree on a rule). Pure.
import type { V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  nodeAddressesOf,
  ParseError, authorizeEgressIPs, parsePolicy, parsePool, pinEgressIP, podInfoFromPod, selectPods, serviceInfoFromService,
  type EgressIPPool, type Policy, type Pool, type StaticEgressIP,
} from '@static-egress/crds';
import type { Mode, NodeStateInput, OwnedRanges } from '../desired/types.js';

export interface ClusterSnapshot {
  policies: readonly StaticEgressIP[];
  pools: readonly EgressIPPool[];
  pods: readonly V1Pod[];
  nodes: readonly V1Node[];
  services: readonly V1Service[];
  namespaces: readonly V1Namespace[];
}

export interface AgentSettings {
  nodeName: string;
  mode: Mode;
  clusterCIDRs: string[];
  ranges: OwnedRanges;
}

export function nodeInternalIP(node: V1Node | undefined): string | undefined {
  return nodeAddressesOf(node).internalIP;
}

export interface ComputedInputs {
  input: NodeStateInput | null; // null until our own Node (and its IP) is known
  invalidPolicies: { key: string; message: string }[];
}

export function computeAgentInputs(snap: ClusterSnapshot, s: AgentSettings, extra: { previousSlots?: ReadonlyMap<string, number>; fenced?: boolean; holdOnly?: ReadonlySet<string> } = {}): ComputedInputs {
  const invalidPolicies: ComputedInputs['invalidPolicies'] = [];
  const policies: Policy[] = [];
  for (const obj of snap.policies) {
    try {
      policies.push(parsePolicy(obj));
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      invalidPolicies.push({ key: `${obj.metadata?.namespace}/${obj.metadata?.name}`, message: err.message });
    }
  }
  const pools: Pool[] = [];
  for (const obj of snap.pools) {
    try { pools.push(parsePool(obj)); } catch (err) { if (!(err instanceof ParseError)) throw err; }
  }
  const nodes = new Map<string, string>();
  const nodeAddresses = new Set<string>();
  for (const n of snap.nodes) {
    const { internalIP, addresses } = nodeAddressesOf(n);
    if (n.metadata?.name && internalIP) nodes.set(n.metadata.name, internalIP);
    for (const a of addresses) nodeAddresses.add(a);
  }
  const nodeIP = nodes.get(s.nodeName);
  if (!nodeIP) return { input: null, invalidPolicies };

  const nsLabels = new Map(snap.namespaces.map((n) => [n.metadata?.name ?? '', { ...(n.metadata?.labels ?? {}) }]));
  // the same address set the manager checks (every IPv4 address of every node), so both agree
  const authorized = authorizeEgressIPs(policies, pools, nsLabels, nodeAddresses);
  const authorizedIPs = new Map<string, string[]>();
  for (const [key, ips] of authorized) authorizedIPs.set(key, ips.filter((x) => !x.problem).map((x) => x.ip));

  const pods = snap.pods.map(podInfoFromPod);
  const selection = new Map<string, string>();
  for (const [podKey, sel] of selectPods(policies, pods, snap.services.map(serviceInfoFromService))) selection.set(podKey, sel.policyKey);

  return {
    input: {
      nodeName: s.nodeName, nodeIP, mode: s.mode, policies,
      authorizedIPs, selection,
      pods: pods.filter((p) => p.nodeName && p.podIP).map((p) => ({ key: p.key, uid: p.uid, nodeName: p.nodeName!, podIP: p.podIP! })),
      nodes, clusterCIDRs: s.clusterCIDRs, ranges: s.ranges, pin: pinEgressIP,
      ...(extra.previousSlots ? { previousSlots: extra.previousSlots } : {}),
      ...(extra.fenced ? { fenced: true } : {}),
      ...(extra.holdOnly ? { holdOnly: extra.holdOnly } : {}),
    },
    invalidPolicies,
  };
}
