// renderState: NodeState → the kernel objects that implement it (DESIGN §6). Pure.
import { cidrNetwork, compareIPs } from '@static-egress/crds';
import type { ClassPin, NodeState } from '../desired/types.js';
import type { UnderlaidState } from '../desired/underlay.js';
import { renderGuard } from './guard.js';
import { orderByRoute } from './order.js';
import { chainNames, failClosedComment, leakGuardComment, setNames } from './names.js';
import type { IpsetSpec, IptablesChains, JumpSpec, RenderConfig, RenderedState, RouteIntent } from './types.js';
import { renderVxlan } from './vxlan.js';

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** CIDR as iptables-save prints it: network address, explicit prefix; 0.0.0.0/0 prints as nothing. */
export function canonicalCIDR(cidr: string): string {
  return cidrNetwork(cidr);
}

/** 0.0.0.0/0 or ::/0: every destination, matched by no option at all. */
export function isEverywhere(cidr: string): boolean {
  return cidr.endsWith('/0');
}

/** The prefix length of one address of the state's family: /32, or /128 for IPv6. */
export function hostPrefix(state: Pick<NodeState, 'family'>): number {
  return state.family === 6 ? 128 : 32;
}

function dstMatch(cidr: string): string {
  const c = canonicalCIDR(cidr);
  return isEverywhere(c) ? '' : ` -d ${c}`;
}

export function renderJumps(cfg: Pick<RenderConfig, 'chainPrefix'>): JumpSpec[] {
  const n = chainNames(cfg);
  return [
    { table: 'mangle', chain: 'PREROUTING', target: n.mark, position: 1 },
    { table: 'mangle', chain: 'FORWARD', target: n.mss, position: 1 },
    { table: 'nat', chain: 'POSTROUTING', target: n.skip, position: 1 },
    { table: 'nat', chain: 'POSTROUTING', target: n.snat, position: 2 },
    { table: 'filter', chain: 'FORWARD', target: n.fwd, position: 1 },
    { table: 'filter', chain: 'INPUT', target: n.input, position: 1 },
  ];
}

type ChainNames = ReturnType<typeof chainNames>;
type SetNames = ReturnType<typeof setNames>;

function clusterReturns(state: NodeState, chain: string): string[] {
  return state.clusterCIDRs.map((c) => `-A ${chain}${dstMatch(c)} -j RETURN`);
}

// mangle: mark a local selected pod's packets to its destinations, before routing. Replies of
// connections made to the pod (conntrack REPLY direction) are not egress and keep their path.
// Local pods with the same pins share one set (a director class, desired/classes.ts); classes are
// disjoint, so only the rules within one class are ordered. A pod selected by several policies
// (per-destination selection) jumps to its class's chain, where the rules run from the least to the
// most preceding route (order.ts) and each sets the whole mark, so the last that matches decides; a
// pin to an IP held here claims the pod by clearing the mark (it leaves through this node's own SNAT),
// and an excluded destination RETURNs, leaving the mark as it was.
function renderMangle(state: NodeState, cfg: RenderConfig, n: ChainNames, s: SetNames): Map<string, string[]> {
  const mask = hex(state.markMask);
  const mangle = new Map<string, string[]>();
  const mark = [`-A ${n.mark} -m conntrack --ctdir REPLY -j RETURN`, ...clusterReturns(state, n.mark)];
  const director = new Map(state.director.map((d) => [d.egressIP, d]));
  const gateway = new Map(state.gateway.map((g) => [g.egressIP, g]));
  const entryChain = (pin: ClassPin) => {
    const chain = n.markEntry(pin.egressIP);
    const e = pin.kind === 'director' ? director.get(pin.egressIP)! : gateway.get(pin.egressIP)!;
    const value = pin.kind === 'director' ? director.get(pin.egressIP)!.mark : 0;
    mangle.set(chain, [...e.excludedCIDRs.map((c) => `-A ${chain}${dstMatch(c)} -j RETURN`), `-A ${chain} -j MARK --set-xmark ${hex(value)}/${mask}`]);
    return chain;
  };
  for (const c of state.directorClasses) {
    const set = s.director(c.id);
    // (iptables-save prints -d before the set match)
    const walk = orderByRoute(state.routes, c.pins).sort((a, b) => b.rank - a.rank);
    if (c.pins.length === 1) {
      for (const x of walk) mark.push(`-A ${n.mark}${dstMatch(x.cidr)} -m set --match-set ${set} src -j ${entryChain(x.entry)}`);
      continue;
    }
    const chain = n.markClass(c.id);
    mark.push(`-A ${n.mark} -m set --match-set ${set} src -j ${chain}`);
    mangle.set(chain, walk.map((x) => `-A ${chain}${dstMatch(x.cidr)} -j ${entryChain(x.entry)}`));
  }
  // A rule with no target only counts: the packets the unreachable route is about to drop.
  for (const d of state.director.filter((x) => x.route.kind === 'unreachable')) {
    mark.push(`-A ${n.mark} -m mark --mark ${hex(d.mark)}/${mask} -m comment --comment ${failClosedComment(d.policyKey)}`);
  }
  mangle.set(n.mark, mark);
  mangle.set(n.mss, state.mode === 'vxlan'
    ? [`-A ${n.mss} -o ${cfg.vxlanDevice} -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`]
    : []);
  return mangle;
}

// filter, last: the leak guard. What gets here unmarked and was not accepted above as this node's
// own SNAT is a policy's pod forwarded to the wrong node (a director's stale ARP entry or route to
// the old gateway); the CNI would masquerade it with this node's IP. It is dropped — exactly what a
// director would have marked: not to the cluster (by original destination, so Service traffic
// DNATed to an outside endpoint is left alone like on the director), not excluded, within the
// destinations. Replies of connections made to a pod (conntrack REPLY direction) are not egress.
function renderLeakGuard(state: NodeState, n: ChainNames, s: SetNames): { fwd: string[]; chains: Map<string, string[]> } {
  const fwd: string[] = [];
  const chains = new Map<string, string[]>();
  if (state.leakGuard.length) {
    fwd.push(`-A ${n.fwd} -m conntrack --ctdir REPLY -j RETURN`);
    // (iptables-save prints a host's conntrack address without its prefix)
    const host = `/${hostPrefix(state)}`;
    fwd.push(...state.clusterCIDRs.map((c) => canonicalCIDR(c)).filter((c) => !isEverywhere(c))
      .map((c) => `-A ${n.fwd} -m conntrack --ctorigdst ${c.endsWith(host) ? c.slice(0, -host.length) : c} -j RETURN`));
  }
  // Pods under the same guards share one set (a guard class); a DROP anywhere in them decides.
  for (const c of state.guardClasses) {
    const set = s.guard(c.id);
    if (c.guards.length === 1) {
      fwd.push(`-A ${n.fwd} -m set --match-set ${set} src -j ${n.guardEntry(c.guards[0]!)}`);
      continue;
    }
    const chain = n.guardClass(c.id);
    fwd.push(`-A ${n.fwd} -m set --match-set ${set} src -j ${chain}`);
    chains.set(chain, c.guards.map((id) => `-A ${chain} -j ${n.guardEntry(id)}`));
  }
  for (const g of state.leakGuard) {
    const lc = n.guardEntry(g.id);
    const comment = leakGuardComment(g.policyKey);
    chains.set(lc, [
      ...g.excludedCIDRs.map((c) => `-A ${lc}${dstMatch(c)} -j RETURN`),
      ...g.destinationCIDRs.map((c) => `-A ${lc}${dstMatch(c)} -m comment --comment ${comment} -j DROP`),
    ]);
  }
  return { fwd, chains };
}

export function renderIptablesChains(state: NodeState, cfg: RenderConfig): IptablesChains {
  const n = chainNames(cfg);
  const s = setNames(cfg);
  const mask = hex(state.markMask);
  const mangle = renderMangle(state, cfg, n, s);
  const nat = new Map<string, string[]>();
  const filter = new Map<string, string[]>();

  // nat: redirected (marked) packets leave this node un-NATed; the gateway SNATs, keeping ports.
  nat.set(n.skip, [`-A ${n.skip} -m mark ! --mark 0x0/${mask} -j ACCEPT`]);
  const snat = clusterReturns(state, n.snat);
  // filter: let egressed flows through a DROP-policy FORWARD, and drop INVALID mid-stream packets
  // that would otherwise leave un-NATed after a failover.
  const fwd = [`-A ${n.fwd} -m mark ! --mark 0x0/${mask} -j ACCEPT`];
  const entries = snatEntries(state);
  for (const g of entries) {
    const set = s.gateway(g.egressIP);
    fwd.push(`-A ${n.fwd} -m set --match-set ${set} dst -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  }
  fwd.push(...clusterReturns(state, n.fwd));
  // Most specific destination first, then the preceding policy (order.ts); SNAT and ACCEPT end the
  // walk, an excluded destination RETURNs to the next rule.
  for (const { entry: g, cidr } of orderByRoute(state.routes, entries)) {
    const set = s.gateway(g.egressIP);
    snat.push(`-A ${n.snat}${dstMatch(cidr)} -m set --match-set ${set} src -j ${n.snatEntry(g.egressIP)}`);
    fwd.push(`-A ${n.fwd}${dstMatch(cidr)} -m set --match-set ${set} src -j ${n.fwdEntry(g.egressIP)}`);
  }
  for (const g of entries) {
    const sc = n.snatEntry(g.egressIP);
    const fc = n.fwdEntry(g.egressIP);
    nat.set(sc, [...g.excludedCIDRs.map((c) => `-A ${sc}${dstMatch(c)} -j RETURN`), `-A ${sc} -j SNAT --to-source ${g.egressIP}`]);
    filter.set(fc, [
      ...g.excludedCIDRs.map((c) => `-A ${fc}${dstMatch(c)} -j RETURN`),
      `-A ${fc} -m conntrack --ctstate INVALID -j DROP`,
      `-A ${fc} -j ACCEPT`,
    ]);
  }
  const guard = renderLeakGuard(state, n, s);
  fwd.push(...guard.fwd);
  for (const [chain, rules] of guard.chains) filter.set(chain, rules);
  nat.set(n.snat, snat);
  filter.set(n.fwd, fwd);
  // filter INPUT: nothing is ever delivered locally to an egress IP. Without this, a server's
  // retransmission that reaches a new gateway before the pod's next segment meets the gateway's own
  // TCP stack, which answers with a RST and kills a connection that would have survived the failover.
  // (Replies of SNATed flows are un-NATed to the pod before routing and never reach INPUT.)
  // IPv6: neighbour discovery is ICMPv6 (IPv4's ARP is not IP at all): solicitations and
  // advertisements to an egress IP must still reach the kernel, or neighbours lose it.
  const nd = state.family === 6 && entries.length
    ? [135, 136].map((type) => `-A ${n.input} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j RETURN`) // NS, NA (as ip6tables-save prints them)
    : [];
  filter.set(n.input, [...nd, ...entries.map((g) => `-A ${n.input} -d ${g.egressIP}/${hostPrefix(state)} -j DROP`)]);
  return { mangle, nat, filter };
}

/**
 * The entries whose SNAT this node programs: the IPs it holds and those it stands by for (issue 16
 * §1), rendered alike — a takeover changes only the address, its lease and its GARP.
 */
export function snatEntries(state: Pick<NodeState, 'gateway' | 'standby'>): NodeState['gateway'] {
  if (!state.standby?.length) return state.gateway;
  return [...state.gateway, ...state.standby].sort((a, b) => compareIPs(a.egressIP, b.egressIP));
}

export function renderRoutes(state: NodeState, cfg: RenderConfig): RouteIntent[] {
  return state.director.map((d): RouteIntent => {
    switch (d.route.kind) {
      case 'direct': return { table: d.table, type: 'unicast', gateway: d.route.via, dev: cfg.uplink, onlink: true };
      case 'vxlan': return { table: d.table, type: 'unicast', gateway: d.route.via, dev: cfg.vxlanDevice, onlink: true };
      case 'unreachable': return { table: d.table, type: 'unreachable', onlink: false };
    }
  });
}

export function renderState(state: UnderlaidState, cfg: RenderConfig): RenderedState {
  const s = setNames(cfg);
  const set = (name: string, members: string[]): IpsetSpec => ({ name, type: 'hash:ip', ...(state.family === 6 ? { family: 'inet6' as const } : {}), members });
  const ipsets = [
    ...state.directorClasses.map((c) => set(s.director(c.id), c.podIPs)),
    ...snatEntries(state).map((g) => set(s.gateway(g.egressIP), g.podIPs)),
    ...state.guardClasses.map((c) => set(s.guard(c.id), c.podIPs)),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    guard: renderGuard(state, cfg),
    ipsets,
    iptables: renderIptablesChains(state, cfg),
    jumps: renderJumps(cfg),
    rules: state.director.map((d) => ({ priority: d.priority, fwmark: d.mark, fwmask: state.markMask, table: d.table })),
    routes: renderRoutes(state, cfg),
    addresses: state.addresses.map((ip) => ({ ip, dev: cfg.uplink })),
    // each family's state its own tunnel (render/vxlan.ts)
    vxlan: renderVxlan(state, cfg),
  };
}
