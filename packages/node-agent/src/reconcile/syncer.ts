// NodeSyncer: makes the kernel match a rendered state, touching only what we own. It reads the
// kernel (or, between full resyncs, trusts its model of our last apply), asks plan() for the
// ordered operations (plan/plan.ts holds the safety order and why), and executes them one after
// the other. Any failure forces the next sync to re-read the kernel.
import type { Kernel } from '../kernel/interfaces.js';
import { parseIpsetSave, parseIptablesSave } from '../render/parse.js';
import type { RenderConfig, RenderedState } from '../render/types.js';
import type { OwnedRanges } from '../desired/types.js';
import { computeDamage, modelOf, type HealKind } from '../plan/damage.js';
import { plan, planCleanup, planTenures } from '../plan/plan.js';
import type { ChangeCounts, KernelView, LeasePlan, Operation, OperationKind } from '../plan/types.js';

export type { HealKind } from '../plan/damage.js';

export interface SyncConfig {
  render: RenderConfig;
  ranges: OwnedRanges;
}

type Phase = 'read' | 'ipset' | 'netlink' | 'iptables' | 'vxlan';

export interface SyncResult {
  full: boolean;
  /** objects found different from what we had applied (hand damage), by kind; full syncs only */
  healed: Partial<Record<HealKind, number>>;
  changed: ChangeCounts;
  addedAddresses: string[];
  /** ms spent per phase: reading the kernel, ipset, netlink, iptables, tunnel */
  phases: Record<Phase, number>;
  /** ms from the sync's start to its first GARP / unsolicited NA (a claim's latency); absent: none sent */
  announcedMs?: number;
}

const PHASE: Record<OperationKind, Phase> = {
  'vxlan-add': 'vxlan', 'vxlan-remove': 'vxlan',
  'ipset-restore': 'ipset', 'ipset-members': 'ipset', 'ipset-destroy': 'ipset',
  'iptables-restore': 'iptables', 'guard-apply': 'iptables', 'guard-remove': 'iptables',
  'address-del': 'netlink', 'address-add': 'netlink', garp: 'netlink',
  'lease-setup': 'netlink', 'lease-claim': 'netlink', 'lease-end': 'netlink', 'lease-remove': 'netlink', 'conntrack-forget': 'netlink',
  'route-replace': 'netlink', 'route-del': 'netlink', 'rule-add': 'netlink', 'rule-del': 'netlink',
};

/**
 * What may run while an `ipset restore` is still in the kernel: writes that touch no set, which the
 * plan orders before the iptables rules (and every other set operation) anyway. plan/safety.ts orders
 * none of them against a set's creation or growth.
 */
const BESIDE_SETS: ReadonlySet<OperationKind> = new Set(['route-replace', 'rule-add', 'guard-apply']);

/** Our objects in the kernel: sets and chains by prefix, rules and routes in our ranges, the uplink's /32s, the tunnel. */
export async function readKernelView(kernel: Kernel, cfg: SyncConfig): Promise<KernelView> {
  const { ranges, render } = cfg;
  const [ipsetText, iptText, rules, routes, addresses, vxlan, lease, guard] = await Promise.all([
    kernel.ipset.save(),
    kernel.iptables.save(),
    kernel.rules.list(ranges.priorityMin, ranges.priorityMax),
    kernel.routes.list(ranges.tableMin, ranges.tableMax),
    kernel.addresses.list(render.uplink),
    kernel.vxlan.read(render.vxlanDevice),
    kernel.lease?.read(),
    kernel.guard?.read(),
  ]);
  return {
    ipsets: parseIpsetSave(ipsetText, render.ipsetPrefix),
    iptables: parseIptablesSave(iptText, render.chainPrefix),
    rules, routes, addresses, vxlan,
    ...(lease ? { lease } : {}),
    ...(kernel.guard ? { guard: guard ?? null } : {}),
  };
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

  /** Told when an egress address left the uplink (a manager's release order is answered then, issue 16 §3). */
  onAddressesDeleted: (() => void) | undefined;

  /** When the sync in flight sent its first GARP (performance.now()). */
  private announcedAt: number | undefined;

  /** Egress IPs leased by our own claims since the last kernel read (a lease we end or that lapses leaves). */
  private leased: Set<string> | null = null;

  /** A claim straight from an order in flight (claimNow): a sync waits for it. */
  private claiming: Promise<unknown> | null = null;

  /**
   * A standby's takeover straight from the manager's order (issue 16 §1): the new tenure the next sync
   * would plan for these IPs (plan.ts' planTenures: lease, address, GARP, then the flows of an earlier
   * tenure forgotten), without waiting for a pass to compute. Only on the model of a completed apply
   * (none in flight, no full sync owed) and with the kernel lease; the address joins that model, so the
   * next sync keeps it or releases it like any other. Resolves to when the GARP went out
   * (performance.now()), or undefined when it did not run or failed (a full sync follows a failure).
   */
  async claimNow(ips: readonly string[], ms: number): Promise<number | undefined> {
    const applied = this.applied;
    if (!applied || this.needFull || this.claiming || !this.kernel.lease || ips.length === 0) return undefined;
    const dev = this.cfg.render.uplink;
    this.announcedAt = undefined;
    const run = this.execute(planTenures([...ips], [], { guarded: [], claim: true, ms }, dev));
    this.claiming = run.catch(() => undefined);
    try {
      const added = await run;
      const have = new Set(applied.addresses.map((a) => a.ip));
      this.applied = { ...applied, addresses: [...applied.addresses, ...ips.filter((ip) => !have.has(ip)).map((ip) => ({ ip, dev }))] };
      return added.length ? this.announcedAt : undefined;
    } catch {
      this.needFull = true;
      return undefined;
    } finally {
      this.claiming = null;
    }
  }

  async sync(want: RenderedState, opts: { full?: boolean; lease?: LeasePlan } = {}): Promise<SyncResult> {
    if (this.claiming) await this.claiming;
    const full = !!opts.full || this.needFull || !this.applied;
    const phases: Record<Phase, number> = { read: 0, ipset: 0, netlink: 0, iptables: 0, vxlan: 0 };
    const previous = this.applied;
    this.needFull = true; // until this sync has completed
    this.applied = null;
    const { render } = this.cfg;
    const t0 = performance.now();
    const have = full ? await readKernelView(this.kernel, this.cfg).finally(() => { phases.read += performance.now() - t0; }) : this.model(previous!);
    if (have.lease) this.leased = new Set(have.lease.leased);
    const healed = full && previous ? computeDamage(previous, have, render.chainPrefix) : {};
    const knownAddresses = new Set(previous?.addresses.map((a) => a.ip) ?? []);
    const lease = this.kernel.lease ? opts.lease : undefined;
    const p = plan(want, have, { render, inPlaceMembers: !!this.kernel.ipsetMembers, knownAddresses, ...(lease ? { lease } : {}) });
    if (full) this.held = new Set(p.held);
    this.announcedAt = undefined;
    const addedAddresses = await this.execute(p.ops, phases);
    this.lastLease = lease;
    this.applied = want;
    this.needFull = false;
    const announced = this.announcedAt === undefined ? {} : { announcedMs: this.announcedAt - t0 };
    return { full, healed, changed: p.changed, addedAddresses, phases, ...announced };
  }

  /** What the kernel holds if nobody touched it since our last apply; leases as our claims left them. */
  private model(previous: RenderedState): KernelView {
    const m = modelOf(previous);
    if (!this.kernel.lease || !this.lastLease) return m;
    return { ...m, lease: { guard: true, owned: new Set(this.lastLease.guarded), leased: new Set(this.leased ?? []) } };
  }

  /** The lease plan of the last completed sync: what the model assumes of the guard. */
  private lastLease: LeasePlan | undefined;

  /** Egress IPs whose lease this node took and has not ended (null before the first kernel read). */
  get leasedAddresses(): ReadonlySet<string> | null {
    return this.leased;
  }

  /** A lease ran out before it could be renewed: the model must no longer count it. */
  forgetLeases(ips: readonly string[]): void {
    for (const ip of ips) this.leased?.delete(ip);
  }

  /** Removes everything of ours (--cleanup): chains and jumps, rules, routes, addresses, sets, tunnel. */
  async cleanup(): Promise<void> {
    this.applied = null;
    this.needFull = true;
    const have = await readKernelView(this.kernel, this.cfg);
    this.held = new Set(have.addresses.filter((a) => a.owned).map((a) => a.ip));
    await this.execute(planCleanup(have, this.cfg.render));
    this.held = new Set();
  }

  /**
   * Runs the operations in order, keeping `held` current; returns the addresses newly added. Two
   * overlaps: a new tenure's lease claim and the address add right after it run at once (the GARP that
   * follows waits for both); an `ipset restore` keeps running while the routes, rules and egress guard
   * that follow it are written (none of them touches a set; see BESIDE_SETS), and any other operation
   * waits for it.
   * A full apply after a reboot spends most of its restore asleep in the kernel (each 64th new set
   * grows the namespace's set index behind an RCU grace period), so this hides the netlink work.
   */
  private async execute(ops: readonly Operation[], phases?: Record<Phase, number>): Promise<string[]> {
    const added: string[] = [];
    let sets: Promise<unknown> | null = null;
    try {
      for (let i = 0; i < ops.length; i++) {
        const o = ops[i]!;
        if (sets && !BESIDE_SETS.has(o.op)) {
          await sets;
          sets = null;
        }
        const step = this.timed(o, added, phases);
        const next = ops[i + 1];
        if (o.op === 'lease-claim' && next?.op === 'address-add') {
          // a new tenure's lease and its address at once: neither needs the other, the GARP after
          // them needs both (on a loaded node a claim's announce took 10 / 21 ms p50 / max so, 14 / 63
          // one after the other)
          const [, adds] = await Promise.all([step, this.timed(next, added, phases)]);
          added.push(...adds);
          i++;
          continue;
        }
        if (o.op !== 'ipset-restore') {
          added.push(...await step);
          continue;
        }
        void step.catch(() => {}); // handled from now on (not an unhandled rejection), thrown where awaited
        sets = step;
      }
      if (sets) await sets;
    } finally {
      // never leave a restore running into the next sync's kernel read; its error was thrown above
      await sets?.catch(() => {});
    }
    return added;
  }

  private async timed(o: Operation, added: readonly string[], phases?: Record<Phase, number>): Promise<string[]> {
    const t0 = performance.now();
    try {
      return await this.run(o, added);
    } finally {
      if (phases) phases[PHASE[o.op]] += performance.now() - t0;
    }
  }

  private need<T>(x: T | undefined): T {
    if (!x) throw new Error('planned a lease or guard operation, but the kernel has none');
    return x;
  }

  /** One kernel call; returns the addresses it newly added. */
  private async run(o: Operation, added: readonly string[]): Promise<string[]> {
    const k = this.kernel;
    const held = (this.held ??= new Set());
    switch (o.op) {
      case 'vxlan-add': return k.vxlan.addMissing(o.want, o.have).then(() => []);
      case 'vxlan-remove': return k.vxlan.removeStale(o.want, o.have, o.name).then(() => []);
      case 'ipset-restore': case 'ipset-destroy': case 'iptables-restore':
        await (o.op === 'iptables-restore' ? k.iptables : k.ipset).restore(o.text);
        return [];
      case 'ipset-members':
        if (!k.ipsetMembers) throw new Error('planned in-place set changes, but the kernel has no ipsetMembers');
        return k.ipsetMembers.apply(o.changes).then(() => []);
      case 'address-del':
        for (const ip of o.ips) k.garp.cancel?.(ip);
        await k.addresses.del(o.dev, o.ips);
        for (const ip of o.ips) held.delete(ip); // only once deleted: a failed delete still counts as held
        this.onAddressesDeleted?.();
        return [];
      case 'address-add':
        for (const ip of o.ips) held.add(ip); // before: an add that fails half-way may have added some
        return k.addresses.add(o.dev, o.ips);
      case 'garp':
        for (const ip of o.always ? o.ips : added) {
          if (!o.ips.includes(ip)) continue;
          k.garp.announce(o.dev, ip);
          this.announcedAt ??= performance.now();
        }
        return [];
      case 'lease-setup': return this.need(k.lease).ensure(o.owned).then(() => []);
      case 'lease-claim':
        await this.need(k.lease).claim(o.ips, o.ms);
        for (const ip of o.ips) (this.leased ??= new Set()).add(ip);
        return [];
      case 'lease-end':
        for (const ip of o.ips) this.leased?.delete(ip); // before: a half-done end may have ended some
        return this.need(k.lease).end(o.ips).then(() => []);
      case 'lease-remove':
        this.leased = new Set();
        return this.need(k.lease).remove().then(() => []);
      case 'guard-apply': return this.need(k.guard).apply(o.text).then(() => []);
      case 'guard-remove': return this.need(k.guard).remove().then(() => []);
      case 'conntrack-forget': return k.conntrack ? k.conntrack.forget(o.ips).then(() => []) : [];
      case 'route-replace': return k.routes.replace(o.routes).then(() => []);
      case 'route-del': return k.routes.del(o.routes).then(() => []);
      case 'rule-add': return k.rules.add(o.rules).then(() => []);
      case 'rule-del': return k.rules.del(o.rules).then(() => []);
    }
  }
}
