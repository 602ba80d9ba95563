// plan(desired, current) → the ordered kernel operations that move `current` to `desired`. Pure.
// The order keeps the data path closed at every step (DESIGN §2, §6); plan.test.ts and
// plan.prop.test.ts check it on the plan itself (safety.ts):
//  1. the tunnel first: routes below may point into it;
//  2. sets and their new members before the iptables rules that use them; members that leave a set
//     only after every restore (7), so that a pod moving to another set is covered by both for a
//     moment, never by neither;
//  3. stale egress addresses — planned first — before their SNAT goes (a late packet is never
//     masqueraded with the node IP) and before the routes (a director route `via <IP> onlink` is
//     refused while the IP is still local);
//  4. routes, then rules (a mark never points at an empty table), before any mark can point at them;
//  5. iptables: one restore, or two when an SNAT goes, so that it goes only after the filter table
//     guards its pods (natHandover);
//  6. new egress addresses once their SNAT is in place, then their GARP;
//  7. removals last: set members, rules before their routes, sets once no rule references them, the
//     tunnel once no route points into it.
// With the kernel lease (issue 14): its guard first; a released address's lease ends before the
// address goes and its flows are forgotten after; a new tenure takes its lease before the address,
// announces only once leased, and forgets any flow of an earlier tenure right after its GARP. Without `claim` nothing is
// leased or announced: addresses are added silently and claimed in a later pass. An address the
// self-fence withholds while the API still names this node keeps its flows both ways (keepFlows).
import { setNames } from '../render/names.js';
import type { RenderedState } from '../render/types.js';
import { planIpsets, renderIpsetDestroy } from './ipset.js';
import { planIptables, renderIptablesCleanup } from './iptables.js';
import { missing, routeKey, ruleKey, staleRoutes, tunnelHasStale, vxlanDamage } from './netlink.js';
import type { KernelView, LeasePlan, Operation, Plan, PlanConfig } from './types.js';

/** Addresses on the uplink that are ours: labelled, or applied by us before. */
function ours(current: KernelView, cfg: PlanConfig): (ip: string) => boolean {
  const labelled = new Set(current.addresses.filter((a) => a.owned).map((a) => a.ip));
  return (ip) => labelled.has(ip) || cfg.knownAddresses.has(ip);
}

export function plan(desired: RenderedState, current: KernelView, cfg: PlanConfig): Plan {
  const { render } = cfg;
  const ops: Operation[] = [];
  const isOurs = ours(current, cfg);
  const wantAddr = new Set(desired.addresses.map((a) => a.ip));
  const haveAddr = current.addresses.map((a) => a.ip);
  const haveSet = new Set(haveAddr);

  const lease = cfg.lease;
  if (lease && current.lease && (!current.lease.guard || !sameSet(current.lease.owned, lease.guarded))) {
    ops.push({ op: 'lease-setup', owned: [...lease.guarded] });
  }

  // 3. stale egress addresses, first of all: nothing below needs them, and a planned move's next
  // holder claims only once the manager sees this one gone (issue 16 §3) — not after this pass's
  // set restores
  const staleAddr = haveAddr.filter((ip) => isOurs(ip) && !wantAddr.has(ip));
  if (staleAddr.length) {
    if (lease) ops.push({ op: 'lease-end', ips: staleAddr });
    ops.push({ op: 'address-del', dev: render.uplink, ips: staleAddr });
  }
  // their flows are forgotten at the end of the plan (a `conntrack` process; until then a late reply
  // the router still sends here is de-NATed to its pod)
  const forgetReleased = lease ? staleAddr.filter((ip) => !lease.keepFlows?.has(ip)) : [];

  // 1. LinuxVxlan.addMissing also re-asserts the device's rp_filter: planned whenever a device is wanted
  if (desired.vxlan.device) ops.push({ op: 'vxlan-add', want: desired.vxlan, have: current.vxlan });

  // 2. sets and joining members: a few members in place, anything else filled aside and swapped in
  const sets = planIpsets(desired.ipsets, current.ipsets, setNames(render).temp, cfg.inPlaceMembers);
  if (sets.grow.restore) ops.push({ op: 'ipset-restore', text: sets.grow.restore });
  if (sets.grow.inPlace.length) ops.push({ op: 'ipset-members', changes: sets.grow.inPlace });

  // 4. routes, then rules (the netlink binding aborts the process when too many requests are in flight)
  const routesToSet = missing(desired.routes, current.routes, routeKey);
  const rulesToAdd = missing(desired.rules, current.rules, ruleKey);
  if (routesToSet.length) ops.push({ op: 'route-replace', routes: routesToSet });
  if (rulesToAdd.length) ops.push({ op: 'rule-add', rules: rulesToAdd });

  // 4½. the egress guard, once routes are in place (it checks marked packets against them) and
  // before iptables (a new gateway's pods are dropped, never masqueraded, until their SNAT is in).
  // With no iptables change, a guard change waits until new addresses are claimed: a standby's
  // takeover (issue 16 §1) changes only its address and the guard's standby rule for it, a no-op
  // once the address is local — so no `nft -f` runs before the GARP.
  const ipt = planIptables(desired.iptables, desired.jumps, current.iptables, render.chainPrefix);
  const addrToAdd = [...wantAddr].filter((ip) => !haveSet.has(ip));
  const guard: Operation | null = guardDiffers(desired, current) ? { op: 'guard-apply', text: desired.guard!.text } : null;
  const guardAfterClaim = !!guard && ipt.restores.length === 0 && addrToAdd.length > 0;
  if (guard && !guardAfterClaim) ops.push(guard);

  // 5. iptables
  for (const r of ipt.restores) ops.push({ op: 'iptables-restore', ...r });

  // 6. new egress addresses, then announce them
  if (addrToAdd.length && !lease) {
    ops.push({ op: 'address-add', dev: render.uplink, ips: addrToAdd });
    ops.push({ op: 'garp', dev: render.uplink, ips: addrToAdd });
  } else if (lease) {
    ops.push(...planTenures(addrToAdd, [...wantAddr].filter((ip) => haveSet.has(ip) && !current.lease?.leased.has(ip)), lease, render.uplink));
  }
  if (guard && guardAfterClaim) ops.push(guard);

  // 7. removals, leaving members first (the restores above cover their pods elsewhere)
  if (sets.shrink.restore) ops.push({ op: 'ipset-restore', text: sets.shrink.restore });
  if (sets.shrink.inPlace.length) ops.push({ op: 'ipset-members', changes: sets.shrink.inPlace });
  const rulesToDel = missing(current.rules, desired.rules, ruleKey);
  const routesToDel = staleRoutes(desired.routes, current.routes);
  if (rulesToDel.length) ops.push({ op: 'rule-del', rules: rulesToDel });
  if (routesToDel.length) ops.push({ op: 'route-del', routes: routesToDel });
  if (sets.stale.length) ops.push({ op: 'ipset-destroy', names: sets.stale, text: renderIpsetDestroy(sets.stale) });
  if (tunnelHasStale(desired.vxlan, current.vxlan)) ops.push({ op: 'vxlan-remove', want: desired.vxlan, have: current.vxlan, name: render.vxlanDevice });
  if (forgetReleased.length) ops.push({ op: 'conntrack-forget', ips: forgetReleased });

  return {
    ops,
    changed: {
      ipsets: sets.differing + sets.stale.length,
      chains: ipt.changed,
      rules: rulesToAdd.length + rulesToDel.length,
      routes: routesToSet.length + routesToDel.length,
      addresses: staleAddr.length + addrToAdd.length,
      vxlan: vxlanDamage(desired.vxlan, current.vxlan),
    },
    held: haveAddr.filter((ip) => isOurs(ip) || wantAddr.has(ip)),
  };
}

/**
 * New tenures: addresses to add, and (when claiming) held addresses without a running lease (a
 * restarted agent, a lapse that the API has since confirmed). Flows of an earlier tenure are
 * forgotten after the GARP, the lease is planned before the address (NodeSyncer runs the two at once),
 * and only leased addresses are announced.
 */
export function planTenures(toAdd: string[], unleased: string[], lease: LeasePlan, dev: string): Operation[] {
  const ops: Operation[] = [];
  // A held address without a lease never left this node (had it moved, the pass that saw it go
  // removed it and forgot its flows): its flows are current, so they stay.
  const claiming = lease.claim ? [...toAdd, ...unleased] : [];
  if (claiming.length) ops.push({ op: 'lease-claim', ips: claiming, ms: lease.ms });
  if (toAdd.length) ops.push({ op: 'address-add', dev, ips: toAdd });
  if (lease.claim && toAdd.length) ops.push({ op: 'garp', dev, ips: toAdd });
  if (lease.claim && unleased.length) ops.push({ op: 'garp', dev, ips: unleased, always: true });
  // a new address draws no traffic before its GARP: forgetting its earlier flows can follow, off the
  // failover's critical path (a packet in between may meet an old entry and be retransmitted)
  const forget = toAdd.filter((ip) => !lease.keepFlows?.has(ip));
  if (forget.length) ops.push({ op: 'conntrack-forget', ips: forget });
  return ops;
}

/** The kernel can hold the guard, one is wanted, and the one there is not it (missing, stale, damaged). */
export function guardDiffers(desired: RenderedState, current: KernelView): boolean {
  const g = desired.guard;
  if (!g || current.guard === undefined) return false;
  return current.guard?.hash !== g.hash || current.guard.rules !== g.rules;
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === new Set(b).size && b.every((x) => a.has(x));
}

/** Removes everything of ours (--cleanup): chains and jumps, rules, routes, addresses, sets, tunnel. */
export function planCleanup(current: KernelView, render: PlanConfig['render']): Operation[] {
  const ops: Operation[] = [];
  const ipt = renderIptablesCleanup(current.iptables, render.chainPrefix);
  if (ipt) ops.push({ op: 'iptables-restore', text: ipt, handover: false });
  if (current.rules.length) ops.push({ op: 'rule-del', rules: current.rules });
  if (current.routes.length) ops.push({ op: 'route-del', routes: current.routes });
  const owned = current.addresses.filter((a) => a.owned).map((a) => a.ip);
  if (owned.length) ops.push({ op: 'address-del', dev: render.uplink, ips: owned });
  if (current.lease) ops.push({ op: 'lease-remove' });
  if (current.guard) ops.push({ op: 'guard-remove' });
  const sets = [...current.ipsets.keys()].sort();
  if (sets.length) ops.push({ op: 'ipset-destroy', names: sets, text: renderIpsetDestroy(sets) });
  const none = { device: null, neighbors: [], fdb: [] };
  if (tunnelHasStale(none, current.vxlan)) ops.push({ op: 'vxlan-remove', want: none, have: current.vxlan, name: render.vxlanDevice });
  return ops;
}
