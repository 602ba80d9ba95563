// Dual stack (issue 11): the data path is computed once per address family. Each family's state
// holds only that family's egress IPs, pod addresses, destinations, node addresses and cluster
// CIDRs; a packet is of one family, so the IPv4 state (iptables, ipsets of family inet, IPv4 rules
// and routes, the `ip` guard, the ARP lease) and the IPv6 one (ip6tables, inet6 sets, IPv6 rules and
// routes, the `ip6` guard, the neighbour-advertisement lease) never meet. Marks, tables and rule
// priorities are the same ranges in both: fwmark rules and route tables are per family in the
// kernel. Pure.
import { ipFamilyOf, type IPFamily } from '@static-egress/crds';
import { computeNodeState } from './compute.js';
import { withVxlanUnderlay, type UnderlaidState } from './underlay.js';
import type { NodeState, NodeStateInput, PolicyView, PodView } from './types.js';

/** Beside NodeStateInput: this node's and the other nodes' IPv6 addresses (InternalIPs). */
export interface IPv6Nodes {
  nodeIP6?: string;
  /** node name → its IPv6 InternalIP */
  nodes6?: ReadonlyMap<string, string>;
}

const EVERYWHERE: Record<IPFamily, string> = { 4: '0.0.0.0/0', 6: '::/0' };

const ofFamily = (f: IPFamily) => (s: string) => ipFamilyOf(s) === f;

/**
 * The policy as the family's data path sees it, or null when it leaves that family's traffic alone:
 * no egress IP of the family, or destinations listed and none of the family. No destinations at all
 * means everywhere, in each family the policy has an IP of.
 */
export function policyForFamily(p: PolicyView, f: IPFamily): PolicyView | null {
  const egressIPs = p.egressIPs.filter(ofFamily(f));
  if (!egressIPs.length) return null;
  const listed = p.destinationCIDRs.filter(ofFamily(f));
  if (p.destinationCIDRs.length && !listed.length) return null;
  // IPv4 keeps an empty list (crds effectiveDestinations' default is IPv4's everywhere)
  const destinationCIDRs = listed.length || f === 4 ? listed : [EVERYWHERE[6]];
  return {
    ...p, egressIPs, destinationCIDRs, excludedCIDRs: p.excludedCIDRs.filter(ofFamily(f)),
    assignments: new Map([...p.assignments].filter(([ip]) => ipFamilyOf(ip) === f)),
  };
}

/** The pod with its address of the family as podIP (none: absent, nothing is programmed for it). */
export function podForFamily(p: PodView, f: IPFamily): PodView {
  const ip = [...(p.podIPs ?? []), ...(p.podIP ? [p.podIP] : [])].find(ofFamily(f));
  const { podIP: _drop, podIPs: _all, ...rest } = p;
  return ip ? { ...rest, podIP: ip } : rest;
}

/** NodeStateInput restricted to one family; null when this node has no address of it. */
export function familyInput(input: NodeStateInput & IPv6Nodes, f: IPFamily): NodeStateInput | null {
  const nodeIP = f === 4 ? input.nodeIP : input.nodeIP6;
  if (!nodeIP || ipFamilyOf(nodeIP) !== f) return null;
  const policies = input.policies.map((p) => policyForFamily(p, f)).filter((p): p is PolicyView => p !== null);
  const keep = new Set(policies.map((p) => p.key));
  const authorizedIPs = new Map([...input.authorizedIPs].filter(([k]) => keep.has(k)).map(([k, ips]) => [k, ips.filter(ofFamily(f))] as const));
  // VXLAN mode: an IPv6 director reaches the gateway through the IPv6 state's own tunnel
  // (render/vxlan.ts; its underlay and next hops: desired/underlay.ts, after computeNodeState)
  const nodes = f === 4 ? input.nodes : (input.nodes6 ?? new Map<string, string>());
  const { nodeIP6: _ip6, nodes6: _n6, ...base } = input;
  return {
    ...base, nodeIP, policies, authorizedIPs,
    pods: input.pods.map((p) => podForFamily(p, f)),
    nodes: new Map([...nodes].filter(([, ip]) => ipFamilyOf(ip) === f)),
    clusterCIDRs: input.clusterCIDRs.filter(ofFamily(f)),
  };
}

/**
 * The input of a family this node has no address of (an IPv6-only node's IPv4 state): nothing to
 * program, no tunnel, so its sync removes what there was. Its cluster CIDRs are the family's only
 * (the other family's would not load: `iptables-restore` refuses an IPv6 CIDR), its node IP that
 * family's unspecified address.
 */
export function emptyFamilyInput(input: NodeStateInput & IPv6Nodes, f: IPFamily): NodeStateInput {
  const { nodeIP6: _ip6, nodes6: _n6, ...base } = input;
  return {
    ...base, mode: 'direct', nodeIP: f === 4 ? '0.0.0.0' : '::', policies: [], pods: [], clusterCIDRs: input.clusterCIDRs.filter(ofFamily(f)),
  };
}

export interface FamilyStates {
  /** absent where this node has no IPv4 address (an IPv6-only cluster) */
  v4?: NodeState;
  /** absent where this node has no IPv6 address (an IPv4-only cluster: today's data path alone); in VXLAN mode with its underlay */
  v6?: UnderlaidState;
}

/**
 * One NodeState per family this node has an address of. `previousSlots6` plays previousSlots' part
 * for the IPv6 state (slots are per family).
 */
export function computeFamilyStates(input: NodeStateInput & IPv6Nodes & { previousSlots6?: ReadonlyMap<string, number> }): FamilyStates {
  const out: FamilyStates = {};
  const v4 = familyInput(input, 4);
  if (v4) out.v4 = computeNodeState(v4);
  const { previousSlots6, previousSlots: _slots4, ...rest } = input;
  const v6 = familyInput({ ...rest, ...(previousSlots6 ? { previousSlots: previousSlots6 } : {}) }, 6);
  if (v6) out.v6 = withVxlanUnderlay({ family: 6, ...computeNodeState(v6) }, input);
  return out;
}

/**
 * What both families program, as one state for the node's report (StaticEgressNode: the IPv6
 * gateway IPs and directed pods beside the IPv4 ones). Only its addresses, director and gateway
 * entries mean anything; the data path is always synced per family.
 */
export function reportedState(v4: NodeState, v6: NodeState | null): NodeState {
  if (!v6) return v4;
  return { ...v4, addresses: [...v4.addresses, ...v6.addresses], director: [...v4.director, ...v6.director], gateway: [...v4.gateway, ...v6.gateway] };
}
