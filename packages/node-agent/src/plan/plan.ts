// plan(desired, current) → the ordered kernel operations that move `current` to `desired`. Pure.
// The order keeps the data path closed at every step (DESIGN §2, §6); plan.test.ts and
// plan.prop.test.ts check it on the plan itself (safety.ts):
//  1. the tunnel first: routes below may point into it;
//  2. sets before the iptables rules that use them;
//  3. stale egress addresses before their SNAT goes (a late packet is never masqueraded with the
//     node IP) and before the routes (a director route `via <IP> onlink` is refused while the IP is
//     still local);
//  4. routes, then rules (a mark never points at an empty table), before any mark can point at them;
//  5. iptables: one restore, or two when an SNAT goes, so that it goes only after the filter table
//     guards its pods (natHandover);
//  6. new egress addresses once their SNAT is in place, then their GARP;
//  7. removals last: rules before their routes, sets once no rule references them, the tunnel once
//     no route points into it.
import { setNames } from '../render/names.js';
import type { RenderedState } from '../render/types.js';
import { planIpsets, renderIpsetDestroy } from './ipset.js';
import { planIptables, renderIptablesCleanup } from './iptables.js';
import { missing, routeKey, ruleKey, staleRoutes, tunnelHasStale, vxlanDamage } from './netlink.js';
import type { KernelView, Operation, Plan, PlanConfig } from './types.js';

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

  // 1. LinuxVxlan.addMissing also re-asserts the device's rp_filter: planned whenever a device is wanted
  if (desired.vxlan.device) ops.push({ op: 'vxlan-add', want: desired.vxlan, have: current.vxlan });

  // 2. sets: a few members in place, anything else filled aside and swapped in
  const sets = planIpsets(desired.ipsets, current.ipsets, setNames(render).temp, cfg.inPlaceMembers);
  if (sets.restore) ops.push({ op: 'ipset-restore', text: sets.restore });
  if (sets.inPlace.length) ops.push({ op: 'ipset-members', changes: sets.inPlace });

  // 3. stale egress addresses
  const staleAddr = haveAddr.filter((ip) => isOurs(ip) && !wantAddr.has(ip));
  if (staleAddr.length) ops.push({ op: 'address-del', dev: render.uplink, ips: staleAddr });

  // 4. routes, then rules (the netlink binding aborts the process when too many requests are in flight)
  const routesToSet = missing(desired.routes, current.routes, routeKey);
  const rulesToAdd = missing(desired.rules, current.rules, ruleKey);
  if (routesToSet.length) ops.push({ op: 'route-replace', routes: routesToSet });
  if (rulesToAdd.length) ops.push({ op: 'rule-add', rules: rulesToAdd });

  // 5. iptables
  const ipt = planIptables(desired.iptables, desired.jumps, current.iptables, render.chainPrefix);
  for (const r of ipt.restores) ops.push({ op: 'iptables-restore', ...r });

  // 6. new egress addresses, then announce them
  const addrToAdd = [...wantAddr].filter((ip) => !haveSet.has(ip));
  if (addrToAdd.length) {
    ops.push({ op: 'address-add', dev: render.uplink, ips: addrToAdd });
    ops.push({ op: 'garp', dev: render.uplink, ips: addrToAdd });
  }

  // 7. removals
  const rulesToDel = missing(current.rules, desired.rules, ruleKey);
  const routesToDel = staleRoutes(desired.routes, current.routes);
  if (rulesToDel.length) ops.push({ op: 'rule-del', rules: rulesToDel });
  if (routesToDel.length) ops.push({ op: 'route-del', routes: routesToDel });
  if (sets.stale.length) ops.push({ op: 'ipset-destroy', names: sets.stale, text: renderIpsetDestroy(sets.stale) });
  if (tunnelHasStale(desired.vxlan, current.vxlan)) ops.push({ op: 'vxlan-remove', want: desired.vxlan, have: current.vxlan, name: render.vxlanDevice });

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

/** Removes everything of ours (--cleanup): chains and jumps, rules, routes, addresses, sets, tunnel. */
export function planCleanup(current: KernelView, render: PlanConfig['render']): Operation[] {
  const ops: Operation[] = [];
  const ipt = renderIptablesCleanup(current.iptables, render.chainPrefix);
  if (ipt) ops.push({ op: 'iptables-restore', text: ipt, handover: false });
  if (current.rules.length) ops.push({ op: 'rule-del', rules: current.rules });
  if (current.routes.length) ops.push({ op: 'route-del', routes: current.routes });
  const owned = current.addresses.filter((a) => a.owned).map((a) => a.ip);
  if (owned.length) ops.push({ op: 'address-del', dev: render.uplink, ips: owned });
  const sets = [...current.ipsets.keys()].sort();
  if (sets.length) ops.push({ op: 'ipset-destroy', names: sets, text: renderIpsetDestroy(sets) });
  const none = { device: null, neighbors: [], fdb: [] };
  if (tunnelHasStale(none, current.vxlan)) ops.push({ op: 'vxlan-remove', want: none, have: current.vxlan, name: render.vxlanDevice });
  return ops;
}
