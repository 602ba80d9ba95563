// From the parsed cluster view (parseClusterView, shared with the manager, so the two never
// disagree on a rule) to computeNodeState's input. Pure.
import type { V1Node } from '@kubernetes/client-node';
import { computeZonePreference, nodeAddressesOf, parseClusterView, pinEgressIP, type BadObject, type ClusterSnapshot } from '@static-egress/crds';
import type { IPv6Nodes } from '../desired/family.js';
import type { Mode, NodeStateInput, OwnedRanges } from '../desired/types.js';
import { computeStandby, computeStandbyNodes } from './standby.js';

export interface AgentSettings {
  nodeName: string;
  mode: Mode;
  clusterCIDRs: string[];
  ranges: OwnedRanges;
  /** standby nodes per egress IP (agent/standby.ts; default STANDBYS_PER_IP, 0: none) */
  standbysPerIP?: number;
}

export function nodeInternalIP(node: V1Node | undefined): string | undefined {
  return nodeAddressesOf(node).internalIP;
}

export interface ComputedInputs {
  /** null until our own Node (and its IP) is known; nodeIP is the IPv4 InternalIP, or the IPv6 one on an IPv6-only node */
  input: (NodeStateInput & IPv6Nodes) | null;
  /** Objects skipped as invalid, for BadObjectReporter. */
  bad: BadObject[];
}

export function computeAgentInputs(snap: ClusterSnapshot, s: AgentSettings, extra: { previousSlots?: ReadonlyMap<string, number>; fenced?: boolean; holdOnly?: ReadonlySet<string> } = {}): ComputedInputs {
  const view = parseClusterView(snap);
  const nodes = new Map<string, string>();
  const nodes6 = new Map<string, string>();
  for (const n of view.nodes) {
    if (n.name && n.internalIP) nodes.set(n.name, n.internalIP);
    if (n.name && n.internalIPv6) nodes6.set(n.name, n.internalIPv6);
  }
  const nodeIP = nodes.get(s.nodeName);
  const nodeIP6 = nodes6.get(s.nodeName);
  if (!nodeIP) return { input: null, bad: view.bad };

  const authorizedIPs = new Map<string, string[]>();
  for (const [key, ips] of view.authorization) authorizedIPs.set(key, ips.filter((x) => !x.problem).map((x) => x.ip));
  const selection = new Map<string, readonly string[]>();
  for (const [podKey, sel] of view.selection) selection.set(podKey, sel.policyKeys);
  // one ring for both: whether this node stands by, and (VXLAN) a director's tunnel peers ahead (issue 16 §1)
  const ring = s.standbysPerIP === 0 ? undefined : computeStandbyNodes(view, s.standbysPerIP);
  const standbyFor = ring && computeStandby(view, s.nodeName, s.standbysPerIP, ring);
  const standbysOf = s.mode === 'vxlan' ? ring : undefined;

  return {
    input: {
      nodeName: s.nodeName, nodeIP, mode: s.mode, policies: view.policies,
      authorizedIPs, selection,
      pods: view.pods.filter((p) => p.nodeName && (p.podIP || p.podIPs?.length)).map((p) => ({
        key: p.key, uid: p.uid, nodeName: p.nodeName!, ...(p.podIP ? { podIP: p.podIP } : {}), ...(p.podIPs ? { podIPs: p.podIPs } : {}),
      })),
      nodes, ...(nodeIP6 ? { nodeIP6, nodes6 } : {}), clusterCIDRs: s.clusterCIDRs, ranges: s.ranges, pin: pinEgressIP, nearIPs: computeZonePreference(view),
      ...(standbyFor ? { standbyFor } : {}),
      ...(standbysOf ? { standbysOf } : {}),
      ...(extra.previousSlots ? { previousSlots: extra.previousSlots } : {}),
      ...(extra.fenced ? { fenced: true } : {}),
      ...(extra.holdOnly ? { holdOnly: extra.holdOnly } : {}),
    },
    bad: view.bad,
  };
}
