// computeNodeState: the whole of this node's data path as data. Pure; no kernel, no API.
import { compareIPs, computePodRoutes, effectiveDestinations } from '@static-egress/crds';
import { allocateSlots, computeSlotLayout } from './alloc.js';
import { computeDirectorClasses, computeGuardClasses, stableIds } from './classes.js';
import { sortIPs } from './sort.js';
import type {
  DirectorEntry, DirectorRoute, GatewayEntry, LeakGuardEntry, NodeState, NodeStateInput, PolicyView, VxlanPeer,
} from './types.js';

interface PolicyPlan {
  policy: PolicyView;
  authorized: string[];
  /** IPs pods are pinned over: the assigned authorized IPs, or all authorized ones when none is assigned */
  pinSet: string[];
  /** pods selected by this policy (among others, maybe) with an IP */
  pods: { uid: string; nodeName: string; podIP: string; pinned: string }[];
}

export { sortIPs };

function planPolicies(input: NodeStateInput): PolicyPlan[] {
  const byKey = new Map<string, PolicyPlan>();
  for (const policy of input.policies) {
    const authorized = [...(input.authorizedIPs.get(policy.key) ?? [])];
    if (authorized.length === 0) continue; // nothing authorized: nothing programmed (IPNotAuthorized)
    const assigned = authorized.filter((ip) => !!policy.assignments.get(ip));
    // Rendezvous pinning over the assigned IPs keeps every pod whose IP is still held where it was
    // and moves only the pods of a lost IP; with nothing assigned, pods fail closed on their pin.
    const pinSet = assigned.length > 0 ? assigned : authorized;
    byKey.set(policy.key, { policy, authorized, pinSet, pods: [] });
  }
  for (const pod of input.pods) {
    if (!pod.podIP) continue;
    // A pod of several policies is in each one's sets; the rule order picks one per destination.
    for (const pk of input.selection.get(pod.key) ?? []) {
      const plan = byKey.get(pk);
      if (plan) plan.pods.push({ uid: pod.uid, nodeName: pod.nodeName, podIP: pod.podIP, pinned: input.pin(pod.uid, plan.pinSet, input.nearIPs?.(pod.nodeName)) });
    }
  }
  return [...byKey.values()];
}

type PendingDirector = Omit<DirectorEntry, 'slot' | 'mark' | 'table' | 'priority'>;

/** How a director reaches the gateway holding `ip`; a VXLAN route adds that gateway and the IP's standbys to `peers`. */
function directorRoute(ip: string, owner: string | undefined, input: NodeStateInput, peers: Map<string, VxlanPeer>): DirectorRoute {
  if (input.mode === 'direct' && (owner || input.previousDirect?.has(ip))) return { kind: 'direct', via: ip };
  if (!owner) return { kind: 'unreachable' };
  const gwIP = input.nodes.get(owner);
  if (!gwIP) return { kind: 'unreachable' };
  peers.set(gwIP, { node: owner, ip: gwIP });
  for (const node of input.standbysOf?.(ip) ?? []) {
    const standbyIP = input.nodes.get(node);
    if (standbyIP && node !== input.nodeName) peers.set(standbyIP, { node, ip: standbyIP });
  }
  return { kind: 'vxlan', via: gwIP, gatewayNode: owner };
}

/** Director: local pods grouped by the IP they are pinned to, each group routed to its gateway. */
function directorEntriesOf(
  plan: PolicyPlan, dst: string[], excl: string[], input: NodeStateInput, peers: Map<string, VxlanPeer>,
): PendingDirector[] {
  const { policy } = plan;
  const localByIP = new Map<string, string[]>();
  for (const p of plan.pods) {
    if (p.nodeName !== input.nodeName) continue;
    const list = localByIP.get(p.pinned) ?? [];
    list.push(p.podIP);
    localByIP.set(p.pinned, list);
  }
  const out: PendingDirector[] = [];
  for (const [ip, podIPs] of localByIP) {
    const owner = policy.assignments.get(ip);
    if (owner === input.nodeName) continue; // own gateway: no redirect, only the SNAT below
    out.push({
      policyKey: policy.key, egressIP: ip, podIPs: sortIPs(podIPs), destinationCIDRs: dst,
      excludedCIDRs: excl, route: directorRoute(ip, owner, input, peers),
    });
  }
  return out;
}

/** Each director entry in its slot (mark, table, priority); those without one are left out. */
function placeInSlots(pending: PendingDirector[], input: NodeStateInput): { director: DirectorEntry[]; overflow: string[] } {
  const layout = computeSlotLayout(input.ranges);
  const { slots, overflow } = allocateSlots(pending.map((d) => d.egressIP), layout.capacity, input.previousSlots);
  const director: DirectorEntry[] = [];
  for (const d of pending) {
    const slot = slots.get(d.egressIP);
    if (slot === undefined) continue;
    director.push({
      ...d, slot, mark: (slot * 2 ** layout.shift) >>> 0, table: input.ranges.tableMin + slot - 1,
      priority: input.ranges.priorityMin + slot - 1,
    });
  }
  return { director, overflow };
}

export function computeNodeState(input: NodeStateInput): NodeState {
  const plans = planPolicies(input);
  const pendingDirector: PendingDirector[] = [];
  const gateway: GatewayEntry[] = [];
  const standby: GatewayEntry[] = [];
  const guards: Omit<LeakGuardEntry, 'id'>[] = [];
  const peers = new Map<string, VxlanPeer>();

  for (const plan of plans) {
    const { policy } = plan;
    const dst = effectiveDestinations(policy);
    const excl = [...policy.excludedCIDRs];
    const held = plan.authorized.filter((ip) => policy.assignments.get(ip) === input.nodeName);

    pendingDirector.push(...directorEntriesOf(plan, dst, excl, input, peers));

    // Gateway: holding one IP of the policy (the invariant), SNAT every pod of the policy to it, so a
    // director with a slightly different view still never leaks; holding several, each its pins.
    for (const ip of held) {
      const podIPs = held.length === 1 ? plan.pods.map((p) => p.podIP) : plan.pods.filter((p) => p.pinned === ip).map((p) => p.podIP);
      gateway.push({ policyKey: policy.key, egressIP: ip, podIPs: sortIPs(podIPs), destinationCIDRs: dst, excludedCIDRs: excl });
    }

    // Standby: holding none of the policy's IPs, the SNAT of each one this node may take over, ready
    // (the same entries as if held), so that taking one over changes no chain, set or guard rule.
    const ready = held.length === 0 ? standbyIPs(plan, input) : [];
    for (const ip of ready) {
      const podIPs = ready.length === 1 ? plan.pods.map((p) => p.podIP) : plan.pods.filter((p) => p.pinned === ip).map((p) => p.podIP);
      standby.push({ policyKey: policy.key, egressIP: ip, podIPs: sortIPs(podIPs), destinationCIDRs: dst, excludedCIDRs: excl });
    }

    // Leak guard, on every node: a pod of the policy forwarded here unmarked (a director's stale ARP
    // entry or route to the old gateway) is dropped instead of leaving with this node's IP. Not needed
    // where this node holds exactly one IP of the policy: that gateway set holds all its pods and
    // SNATs and accepts every such packet first; nor on the standby of exactly one, whose set holds
    // them all too and whose packets the egress guard drops while the IP is not local.
    if (plan.pods.length > 0 && (held.length || ready.length) !== 1) {
      guards.push({ policyKey: policy.key, destinationCIDRs: dst, excludedCIDRs: excl });
    }
  }

  const { director, overflow } = placeInSlots(pendingDirector, input);
  director.sort((a, b) => compareIPs(a.egressIP, b.egressIP));
  gateway.sort((a, b) => compareIPs(a.egressIP, b.egressIP));
  standby.sort((a, b) => compareIPs(a.egressIP, b.egressIP));
  const present = new Set([...director, ...gateway, ...standby, ...guards].map((e) => e.policyKey));
  const leakGuard = withGuardIds(guards);
  const classInput = { nodeName: input.nodeName, pods: new Map(plans.map((p) => [p.policy.key, p.pods])), director, gateway, leakGuard };

  return {
    mode: input.mode,
    nodeIP: input.nodeIP,
    clusterCIDRs: [...input.clusterCIDRs],
    markMask: input.ranges.markMask >>> 0,
    director,
    gateway,
    ...(standby.length ? { standby } : {}),
    routes: computePodRoutes(plans.map((p) => p.policy).filter((p) => present.has(p.key))),
    addresses: input.fenced ? [] : sortIPs(gateway.map((g) => g.egressIP).filter((ip) => !input.holdOnly || input.holdOnly.has(ip))),
    leakGuard,
    directorClasses: computeDirectorClasses(classInput),
    guardClasses: computeGuardClasses(classInput),
    vxlanPeers: [...peers.values()].sort((a, b) => compareIPs(a.ip, b.ip)),
    overflow: overflow.sort(),
  };
}

/**
 * The policy's IPs this node may take over (input.standbyFor), while fenced none: a fenced node is
 * the last to be given an IP, and its standby would only be dropped by the guard.
 */
function standbyIPs(plan: PolicyPlan, input: NodeStateInput): string[] {
  const may = input.standbyFor;
  if (!may || input.fenced || plan.pods.length === 0) return [];
  return plan.authorized.filter((ip) => plan.policy.assignments.get(ip) !== input.nodeName && may(ip));
}

/** Each guard with the stable id of its policy key (names a set and a chain). */
function withGuardIds(guards: Omit<LeakGuardEntry, 'id'>[]): LeakGuardEntry[] {
  const ids = stableIds(guards.map((g) => g.policyKey).sort());
  return guards.map((g) => ({ ...g, id: ids.get(g.policyKey)! })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** egress IP → slot, to feed the next computeNodeState as previousSlots. */
export function slotsOf(state: NodeState): Map<string, number> {
  return new Map(state.director.map((d) => [d.egressIP, d.slot]));
}
