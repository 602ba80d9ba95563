// syncNodeState: makes the kernel match a rendered state, touching only what we own.
// Order keeps the data path closed at every step (DESIGN §2, §6): sets and routes exist before
// the rules that use them; stale egress addresses go before their SNAT (and before the routes that
// may now point at them); new addresses come after their SNAT; an SNAT goes only once the filter
// table guards its pods (natHandover); removals come last. Any failure forces the next sync to re-read the kernel.
import type { IpsetRestorer } from '../kernel/interfaces.js';
import type { Kernel, MemberChange, OwnedAddress } from '../kernel/interfaces.js';
import { setNames } from '../render/names.js';
import type { ParsedIptables } from '../render/parse.js';
import { parseIpsetSave, parseIptablesSave } from '../render/parse.js';
import {
  ipsetDiffers, natHandover, parsedOf, renderIpsetDestroy, renderIpsetRestore, renderIptablesCleanup, renderIptablesRestore, staleIpsets,
} from '../render/restore.js';
import type { IpsetSpec, RenderConfig, RenderedState, RouteIntent, RuleIntent, VxlanIntent } from '../render/types.js';
import type { OwnedRanges } from '../desired/types.js';

export type HealKind = 'ipset' | 'iptables' | 'rule' | 'route' | 'address' | 'vxlan';

export interface SyncConfig {
  render: RenderConfig;
  ranges: OwnedRanges;
}

export interface SyncResult {
  full: boolean;
  /** objects found different from what we had applied (hand damage), by kind; full syncs only */
  healed: Partial<Record<HealKind, number>>;
  changed: { ipsets: number; chains: number; rules: number; routes: number; addresses: number; vxlan: number };
  addedAddresses: string[];
  /** ms spent per phase: reading the kernel, ipset, netlink, iptables, tunnel */
  phases: Record<'read' | 'ipset' | 'netlink' | 'iptables' | 'vxlan', number>;
}

interface KernelView {
  ipsets: Map<string, IpsetSpec>;
  iptables: ParsedIptables;
  rules: RuleIntent[];
  routes: RouteIntent[];
  addresses: OwnedAddress[];
  vxlan: VxlanIntent;
}

/** Up to this many member changes per set go in place; more are a whole new set swapped in. */
const IN_PLACE_LIMIT = 32;

const ruleKey = (r: RuleIntent) => `${r.priority}|${r.fwmark}|${r.fwmask}|${r.table}`;
const routeKey = (r: RouteIntent) => `${r.table}|${r.type}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.onlink}|${r.dst ?? ''}|${r.metric ?? ''}`;
/** What a route replace overwrites in place: same table, destination and metric. */
const routeSlot = (r: RouteIntent) => `${r.table}|${r.dst ?? ''}|${r.metric ?? ''}`;

function missing<T>(want: readonly T[], have: readonly T[], key: (x: T) => string): T[] {
  const h = new Set(have.map(key));
  return want.filter((x) => !h.has(key(x)));
}

function vxlanDamage(applied: VxlanIntent, have: VxlanIntent): number {
  let n = 0;
  if (applied.device && JSON.stringify(applied.device) !== JSON.stringify(have.device)) n++;
  n += missing(applied.neighbors, have.neighbors, (x) => `${x.ip}|${x.mac}`).length;
  n += missing(applied.fdb, have.fdb, (x) => `${x.mac}|${x.dst}|${x.via}`).length;
  return n;
}

export class NodeSyncer {
  private applied: RenderedState | null = null;
  private needFull = true;
  /** egress addresses on the uplink as far as we know (null before the first kernel read) */
  private held: Set<string> | null = null;

  constructor(private readonly kernel: Kernel, private readonly cfg: SyncConfig) {}

  /** The next sync re-reads the kernel (periodic resync, after errors). */
  requestFull(): void {
    this.needFull = true;
  }

  get lastApplied(): RenderedState | null {
    return this.applied;
  }

  /**
   * The egress addresses actually on the uplink, not the desired ones: read from the kernel on every
   * full sync, then kept up to date by our own adds and deletes (a failed delete still counts as
   * held, a failed add as held too, until the full resync that follows any failure re-reads them).
   * null until the first kernel read (a restarted agent does not know yet what it still holds).
   */
  get heldAddresses(): ReadonlySet<string> | null {
    return this.held;
  }

  private async readKernel(): Promise<KernelView> {
    const { ranges, render } = this.cfg;
    const [ipsetText, iptText, rules, routes, addresses, vxlan] = await Promise.all([
      this.kernel.ipset.save(),
      this.kernel.iptables.save(),
      this.kernel.rules.list(ranges.priorityMin, ranges.priorityMax),
      this.kernel.routes.list(ranges.tableMin, ranges.tableMax),
      this.kernel.addresses.list(render.uplink),
      this.kernel.vxlan.read(render.vxlanDevice),
    ]);
    return {
      ipsets: parseIpsetSave(ipsetText, render.ipsetPrefix),
      iptables: parseIptablesSave(iptText, render.chainPrefix),
      rules, routes, addresses, vxlan,
    };
  }

  /** What the kernel holds if nobody touched it since our last apply. */
  private modelOf(s: RenderedState): KernelView {
    return {
      ipsets: new Map(s.ipsets.map((x) => [x.name, x])),
      iptables: parsedOf(s.iptables, s.jumps),
      rules: s.rules,
      routes: s.routes,
      addresses: s.addresses.map((a) => ({ ...a, owned: true })),
      vxlan: s.vxlan,
    };
  }

  private damage(applied: RenderedState, have: KernelView): Partial<Record<HealKind, number>> {
    const out: Partial<Record<HealKind, number>> = {};
    const model = this.modelOf(applied);
    const add = (k: HealKind, n: number) => { if (n > 0) out[k] = (out[k] ?? 0) + n; };
    add('ipset', applied.ipsets.filter((s) => ipsetDiffers(s, have.ipsets.get(s.name))).length
      + [...have.ipsets.keys()].filter((n) => !model.ipsets.has(n)).length);
    const ipt = renderIptablesRestore(applied.iptables, applied.jumps, have.iptables, this.cfg.render.chainPrefix);
    add('iptables', ipt.changedChains + ipt.staleChains + ipt.jumpFixes);
    add('rule', missing(applied.rules, have.rules, ruleKey).length + missing(have.rules, applied.rules, ruleKey).length);
    add('route', missing(applied.routes, have.routes, routeKey).length + missing(have.routes, applied.routes, routeKey).length);
    add('address', missing(applied.addresses.map((a) => a.ip), have.addresses.map((a) => a.ip), (x) => x).length);
    add('vxlan', vxlanDamage(applied.vxlan, have.vxlan));
    return out;
  }

  async sync(want: RenderedState, opts: { full?: boolean } = {}): Promise<SyncResult> {
    const full = !!opts.full || this.needFull || !this.applied;
    const phases = { read: 0, ipset: 0, netlink: 0, iptables: 0, vxlan: 0 };
    const timed = async <T>(phase: keyof typeof phases, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try { return await fn(); } finally { phases[phase] += performance.now() - t0; }
    };
    const previous = this.applied;
    this.needFull = true; // until this sync has completed
    this.applied = null;
    const { render } = this.cfg;
    const have = full ? await timed('read', () => this.readKernel()) : this.modelOf(previous!);
    const healed = full && previous ? this.damage(previous, have) : {};
    const wantAddr = new Set(want.addresses.map((a) => a.ip));
    const knownOurs = new Set(previous?.addresses.map((a) => a.ip) ?? []);
    const ours = (a: OwnedAddress) => a.owned || knownOurs.has(a.ip);
    if (full) this.held = new Set(have.addresses.filter((a) => ours(a) || wantAddr.has(a.ip)).map((a) => a.ip));
    const held = (this.held ??= new Set());
    const changed = { ipsets: 0, chains: 0, rules: 0, routes: 0, addresses: 0, vxlan: 0 };
    const temp = setNames(render).temp;

    // 1. tunnel first: routes below may point into it
    await timed('vxlan', () => this.kernel.vxlan.addMissing(want.vxlan, have.vxlan));
    changed.vxlan = vxlanDamage(want.vxlan, have.vxlan);

    // 2. sets: a few members in place (each add/del atomic), anything else filled aside and swapped in
    const differing = want.ipsets.filter((s) => ipsetDiffers(s, have.ipsets.get(s.name)));
    const members = this.kernel.ipsetMembers;
    const inPlace = new Map<string, MemberChange>();
    if (members) {
      for (const s of differing) {
        const h = have.ipsets.get(s.name);
        if (!h || h.type !== s.type) continue;
        const hs = new Set(h.members), ws = new Set(s.members);
        const change = { set: s.name, add: s.members.filter((m) => !hs.has(m)), del: h.members.filter((m) => !ws.has(m)) };
        if (change.add.length + change.del.length <= IN_PLACE_LIMIT) inPlace.set(s.name, change);
      }
    }
    const swapped = differing.filter((s) => !inPlace.has(s.name));
    const setsText = renderIpsetRestore(swapped, have.ipsets, temp);
    const rewritten = new Set(swapped.map((s) => temp(s.name))); // their leftover temp sets are destroyed on the way
    changed.ipsets = differing.length;
    await timed('ipset', async () => {
      await this.kernel.ipset.restore(setsText);
      if (inPlace.size) await members!.apply([...inPlace.values()]);
    });

    // 3. stale egress addresses go before their SNAT rules (a late packet is never masqueraded) and
    // before the routes: a node that releases an IP while a local pod stays pinned to it now directs
    // that pod to `via <IP> onlink`, which the kernel refuses while the IP is still its own
    const staleAddr = have.addresses.filter((a) => ours(a) && !wantAddr.has(a.ip)).map((a) => a.ip);
    await timed('netlink', () => this.kernel.addresses.del(render.uplink, staleAddr));
    for (const ip of staleAddr) held.delete(ip);

    // 4. routes and rules before any mark can point at them
    const routesToSet = missing(want.routes, have.routes, routeKey);
    const rulesToAdd = missing(want.rules, have.rules, ruleKey);
    // one after the other: the netlink binding aborts the process when too many requests are in flight
    await timed('netlink', async () => {
      await this.kernel.routes.replace(routesToSet);
      await this.kernel.rules.add(rulesToAdd);
    });

    // 5. one iptables restore (one transaction per table); two when an SNAT goes, so that it goes
    // only after the filter table stopped accepting its flows (natHandover)
    const plan = renderIptablesRestore(want.iptables, want.jumps, have.iptables, render.chainPrefix);
    changed.chains = plan.changedChains + plan.staleChains + plan.jumpFixes;
    const interim = natHandover(want.iptables, have.iptables, render.chainPrefix);
    await timed('iptables', async () => {
      if (!interim) return this.kernel.iptables.restore(plan.text);
      await this.kernel.iptables.restore(renderIptablesRestore(interim, want.jumps, have.iptables, render.chainPrefix).text);
      await this.kernel.iptables.restore(renderIptablesRestore(want.iptables, want.jumps, parsedOf(interim, want.jumps), render.chainPrefix).text);
    });

    // 6. new egress addresses once their SNAT is in place, then announce them
    const haveAddr = new Set(have.addresses.map((a) => a.ip));
    const addrToAdd = [...wantAddr].filter((ip) => !haveAddr.has(ip));
    for (const ip of addrToAdd) held.add(ip); // before: an add that fails half-way may have added some
    const addedAddresses = await timed('netlink', () => this.kernel.addresses.add(render.uplink, addrToAdd));
    for (const ip of addedAddresses) this.kernel.garp.announce(render.uplink, ip);
    changed.addresses = staleAddr.length + addrToAdd.length;

    // 7. removals
    const rulesToDel = missing(have.rules, want.rules, ruleKey);
    await timed('netlink', () => this.kernel.rules.del(rulesToDel));
    const wantSlots = new Set(want.routes.map(routeSlot));
    const routesToDel = have.routes.filter((r) => !wantSlots.has(routeSlot(r)));
    await timed('netlink', () => this.kernel.routes.del(routesToDel));
    changed.rules = rulesToAdd.length + rulesToDel.length;
    changed.routes = routesToSet.length + routesToDel.length;
    const stale = staleIpsets(want.ipsets, have.ipsets).filter((n) => !rewritten.has(n));
    await timed('ipset', () => this.kernel.ipset.restore(renderIpsetDestroy(stale)));
    changed.ipsets += stale.length;
    await timed('vxlan', () => this.kernel.vxlan.removeStale(want.vxlan, have.vxlan, render.vxlanDevice));

    this.applied = want;
    this.needFull = false;
    return { full, healed, changed, addedAddresses, phases };
  }

  /** Removes everything of ours (--cleanup): chains and jumps, rules, routes, addresses, sets, tunnel. */
  async cleanup(): Promise<void> {
    this.applied = null;
    this.needFull = true;
    const { render } = this.cfg;
    const have = await this.readKernel();
    await this.kernel.iptables.restore(renderIptablesCleanup(have.iptables, render.chainPrefix));
    await this.kernel.rules.del(have.rules);
    await this.kernel.routes.del(have.routes);
    const owned = have.addresses.filter((a) => a.owned).map((a) => a.ip);
    this.held = new Set(owned);
    await this.kernel.addresses.del(render.uplink, owned);
    this.held = new Set();
    await destroyAll(this.kernel.ipset, [...have.ipsets.keys()]);
    await this.kernel.vxlan.removeStale({ device: null, neighbors: [], fdb: [] }, have.vxlan, render.vxlanDevice);
  }
}

async function destroyAll(ipset: IpsetRestorer, names: string[]): Promise<void> {
  await ipset.restore(renderIpsetDestroy(names.sort()));
}
