// The agent's pass (kube-proxy style): events only ask for a pass; controller-kit's
// BoundedFrequencyRunner batches them, runs a periodic resync and retries failures; one pass does
// all kernel writes from the whole desired state; the periodic and the after-failure passes are
// full (they re-read the kernel and heal whatever was changed by hand). Self-fencing
// (../fencing/) decides what the pass may hold.
import { BoundedFrequencyRunner, type Clock, type Logger } from '@static-egress/controller-kit';
import { computeNodeState, slotsOf, sortIPs } from '../desired/compute.js';
import { flowsToKeep } from './tenure.js';
import { emptyFamilyInput, familyInput, reportedState, type IPv6Nodes } from '../desired/family.js';
import { withVxlanUnderlay } from '../desired/underlay.js';
import type { NodeState, NodeStateInput } from '../desired/types.js';
import type { SelfFencing } from '../fencing/self-fencing.js';
import type { AgentMetrics } from '../metrics.js';
import type { HealKind, NodeSyncer, SyncResult } from '../reconcile/syncer.js';
import { renderState } from '../render/state.js';
import type { RenderConfig } from '../render/types.js';

interface PassWaiter { resolve: () => void; settled?: () => boolean }

/** Where the agent writes: known once the uplink is (after the caches have synced). */
export interface DataPlane {
  syncer: NodeSyncer;
  render: RenderConfig;
  /** The IPv6 state's own syncer and names (dual stack, issue 11); absent: IPv6 traffic is left alone. */
  v6?: { syncer: NodeSyncer; render: RenderConfig };
}

export interface AgentOptions {
  clock: Clock;
  logger: Logger;
  metrics: AgentMetrics;
  fencing: SelfFencing;
  /** Builds computeNodeState's input from the caches; null while not ready (own Node unknown). */
  inputs: (extra: { previousSlots?: ReadonlyMap<string, number>; fenced: boolean; holdOnly?: ReadonlySet<string> }) => (NodeStateInput & IPv6Nodes) | null;
  /** A full resync runs this often. */
  resyncIntervalMs: number;
  /** Minimum time between two syncs (batches event storms). Default 50 ms. */
  minIntervalMs?: number;
  /** Retry delay after a failure, doubling up to resyncIntervalMs. Default 500 ms. */
  retryMs?: number;
  /** The kernel lease a claim takes (issue 14); absent: the kernel has no lease table. */
  leaseMs?: number;
  /** What is left of the last contact's lease grant: a claim takes no more than that (issue 16). */
  claimLeaseMs?: () => number;
  /** After each successful sync: what the kernel now holds, both families (the StaticEgressNode report). */
  onSynced?: (state: NodeState, fenced: boolean) => void;
  /** A full sync found our kernel state damaged and repaired it (by kind). */
  onHealed?: (healed: SyncResult['healed']) => void;
}

export class Agent {
  private readonly runner: BoundedFrequencyRunner;
  private dataPlane: DataPlane | undefined;
  /** When the oldest change not yet synced happened (programming latency). */
  private dirtySince: number | null = null;
  private needFull = true;
  private last: NodeState | null = null;
  /** the IPv6 state last synced (its slots stay put like the IPv4 ones) */
  private last6: NodeState | null = null;
  synced = false;

  constructor(private readonly o: AgentOptions) {
    this.runner = new BoundedFrequencyRunner({
      clock: o.clock,
      minIntervalMs: o.minIntervalMs ?? 50,
      maxIntervalMs: o.resyncIntervalMs,
      retryBaseMs: o.retryMs ?? 500,
      pass: ({ resync }) => this.passAndTell(resync),
      onError: (err, failures) => o.logger.error({ err, failures }, 'sync failed; retrying with a full resync'),
    });
  }

  /** Starts syncing into `dataPlane`; the first sync reads the kernel (startup reconcile). */
  start(dataPlane: DataPlane): void {
    this.dataPlane = dataPlane;
    dataPlane.syncer.onAddressesDeleted = () => this.addressesDeleted();
    if (dataPlane.v6) dataPlane.v6.syncer.onAddressesDeleted = () => this.addressesDeleted();
    this.o.fencing.start(() => this.markDirty('fence'));
    this.markDirty('startup');
    this.runner.start();
  }

  /** The kernel may have been damaged (a monitor event): the next sync re-reads it and repairs. */
  markDamaged(reason: string): void {
    this.damaged = true; // not needFull: a pass in flight would clear it
    this.markDirty(reason);
  }

  private damaged = false;
  /** When the IPv4 sync started (performance.now()): what came before it is computing. */
  private syncStart = 0;

  /** Something changed (an informer event, a fence flip): sync soon. Before start: at start. */
  markDirty(_reason: string): void {
    if (this.dirtySince === null) this.dirtySince = this.o.clock.now();
    this.runner.run();
  }

  get lastState(): NodeState | null {
    return this.last;
  }

  /** Self-fenced now (only a node that holds, or would hold, egress addresses ever is). */
  get fenced(): boolean {
    return this.o.fencing.fenced;
  }

  /** The egress addresses on the uplink now (NodeSyncer.heldAddresses); null before the first kernel read. */
  get heldAddresses(): ReadonlySet<string> | null {
    const v4 = this.dataPlane?.syncer.heldAddresses ?? null;
    const v6 = this.dataPlane?.v6?.syncer.heldAddresses;
    return v4 && v6?.size ? new Set([...v4, ...v6]) : v4;
  }

  /** Waiting for the next pass (a manager's order, issue 16); `settled`: what may end the wait sooner. */
  private passWaiters: PassWaiter[] = [];
  /** The waiters the pass in flight serves. */
  private serving: PassWaiter[] = [];

  /**
   * Asks for a pass now; resolves once a pass that starts after this call has ended (done or failed):
   * the answer to a manager's order waits for it, so the egress IPs it lists confirm the order. With
   * `settled`, sooner: when it holds after an address left the uplink in that pass (a release order is
   * answered once its addresses are gone, not after the rest of the pass — issue 16 §3).
   */
  passSoon(settled?: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.passWaiters.push({ resolve, ...(settled ? { settled } : {}) });
      if (this.dirtySince === null) this.dirtySince = this.o.clock.now();
      this.runner.runNow(); // an order does not wait for the minimum interval: its lease grant is short
    });
  }

  private async passAndTell(resync: boolean): Promise<void> {
    const waiters = this.serving = this.passWaiters.splice(0);
    try {
      await this.pass(resync);
    } finally {
      this.serving = [];
      for (const w of waiters) w.resolve();
    }
  }

  /**
   * The fast path of a claim order (issue 16 §1): the IPs of `ips` this node stands by for (their
   * SNAT and guard rules programmed ahead by the last pass) are leased, added and announced at once,
   * before the pass the order also asks for computes anything. Only while no sync is in flight (a pass
   * computes synchronously up to its sync, so none can have computed without the order and not yet
   * synced), with the claim allowed and not fenced; anything else waits for that pass. Resolves to the
   * claimed IPs.
   */
  async claimFromOrder(ips: readonly string[]): Promise<string[]> {
    const dp = this.dataPlane;
    const last = this.last;
    if (!dp || !last || this.serving.length || this.o.leaseMs === undefined) return [];
    const { fenced, holdOnly, claim } = this.o.fencing.verdict();
    if (fenced || !claim) return [];
    const held = dp.syncer.heldAddresses;
    const ready = ips.filter((ip) => last.standby?.some((s) => s.egressIP === ip) && !held?.has(ip) && (!holdOnly || holdOnly.has(ip)));
    if (!ready.length) return [];
    const t0 = performance.now();
    const announcedAt = await dp.syncer.claimNow(ready, Math.min(this.o.leaseMs, this.o.claimLeaseMs?.() ?? this.o.leaseMs));
    if (announcedAt === undefined) return [];
    // garpAt: the GARP's wall-clock time (the line is written after the flows are forgotten)
    const garpAt = Math.round(Date.now() - (performance.now() - announcedAt));
    this.o.logger.info({ ips: ready, announcedMs: Math.round((announcedAt - t0) * 10) / 10, garpAt }, 'claimed from the order: leased, added, announced');
    return ready;
  }

  private addressesDeleted(): void {
    for (const w of this.serving) if (w.settled?.()) w.resolve();
  }

  private async pass(resync: boolean): Promise<void> {
    const dp = this.dataPlane as DataPlane; // the runner starts only in start()
    const since = this.dirtySince ?? this.o.clock.now();
    this.dirtySince = null;
    if (resync || this.damaged) this.needFull = true;
    this.damaged = false;
    const t0 = performance.now();
    const waited = this.o.clock.now() - since;
    try {
      const { fenced, holdOnly, claim } = this.o.fencing.verdict();
      const input = this.o.inputs({ ...(this.last ? { previousSlots: slotsOf(this.last) } : {}), fenced, ...(holdOnly ? { holdOnly } : {}) });
      if (!input) {
        this.o.logger.info({}, 'waiting for this node (and its InternalIP) to appear');
        return;
      }
      // One state per family (desired/family.ts); an IPv6-only node's IPv4 state is empty (it cleans up).
      const input4 = familyInput(input, 4) ?? emptyFamilyInput(input, 4);
      // a released IP stays routed via itself here until its next holder announces it (issue 16 §3)
      const previousDirect = this.last ? new Set(this.last.director.filter((d) => d.route.kind === 'direct').map((d) => d.egressIP)) : undefined;
      const state = computeNodeState(previousDirect ? { ...input4, previousDirect } : input4);
      // the families share no kernel object: both sync at once (an IPv6 claim waits for no IPv4 work)
      const [result, v6] = await Promise.all([
        this.syncFamily(dp, state, input4, claim, this.last),
        dp.v6 ? this.syncIPv6(dp.v6, input, claim) : Promise.resolve(null),
      ]);
      this.needFull = false;
      this.last = state;
      const state6 = v6?.state ?? null;
      this.last6 = state6;
      this.o.fencing.observe([...state.gateway, ...(state6?.gateway ?? [])].map((g) => g.egressIP));
      this.synced = true;
      this.record(state, result, { since, t0, waited }, v6?.result);
      this.o.onSynced?.(reportedState(state, state6), fenced);
    } catch (err) {
      this.needFull = true;
      dp.syncer.requestFull();
      this.o.metrics.syncFailures.inc();
      if (this.dirtySince === null) this.dirtySince = since;
      throw err;
    }
  }

  /**
   * Renders and syncs one family's state; its lease guards the egress IPs of that family only. An
   * address the fence withholds while the API still names this node keeps its flows (agent/tenure.ts).
   */
  private async syncFamily(dp: Pick<DataPlane, 'syncer' | 'render'>, state: NodeState, input: NodeStateInput, claim: boolean, previous: NodeState | null): Promise<SyncResult> {
    if (state.overflow.length) this.o.logger.error({ overflow: state.overflow }, 'no free mark/table slot for these egress IPs: widen --fwmark/--table-range/--rule-priority');
    const lease = this.o.leaseMs === undefined ? undefined : {
      guarded: guardedIPs(input.policies, dp.syncer.heldAddresses), claim, ms: Math.min(this.o.leaseMs, this.o.claimLeaseMs?.() ?? this.o.leaseMs),
      keepFlows: flowsToKeep(previous, state),
    };
    const rendered = renderState(state, dp.render);
    if (state.family !== 6) this.syncStart = performance.now(); // announcedMs is the IPv4 sync's
    const opts = lease ? { lease } : {};
    // A claim does not wait for a full sync's kernel read (iptables-save, ipset save, … 50–150 ms on
    // a loaded node; the periodic resync meets a failover now and then): it is applied on the model of
    // our last apply first, and the full sync that heals follows at once (issue 16 §1).
    if (this.needFull && dp.syncer.lastApplied && claimsNewAddress(state, previous)) {
      const first = await dp.syncer.sync(rendered, { full: false, ...opts });
      return mergeSyncs(first, await dp.syncer.sync(rendered, { full: true, ...opts }));
    }
    return dp.syncer.sync(rendered, { full: this.needFull, ...opts });
  }

  /** The IPv6 state (none where this node has no IPv6 address: an empty one then removes what there was). */
  private async syncIPv6(v6: NonNullable<DataPlane['v6']>, input: NodeStateInput & IPv6Nodes, claim: boolean): Promise<{ state: NodeState; result: SyncResult }> {
    const previousSlots = this.last6 ? slotsOf(this.last6) : new Map<string, number>();
    const in6 = familyInput({ ...input, previousSlots }, 6) ?? { ...emptyFamilyInput(input, 6), previousSlots };
    // VXLAN mode: with its tunnel's underlay (desired/underlay.ts)
    const state6 = withVxlanUnderlay({ family: 6, ...computeNodeState(in6) }, input);
    return { state: state6, result: await this.syncFamily(v6, state6, in6, claim, this.last6) };
  }

  /** `waited`: ms from the change to the pass's start; a claim's `announcedMs` counts from the sync's start (after computing). */
  private record(state: NodeState, result: SyncResult, at: { since: number; t0: number; waited: number }, result6?: SyncResult): void {
    const { since, t0 } = at;
    const m = this.o.metrics;
    const healed: Partial<Record<HealKind, number>> = { ...result.healed };
    for (const [kind, n] of Object.entries(result6?.healed ?? {}) as [HealKind, number][]) healed[kind] = (healed[kind] ?? 0) + n;
    for (const [kind, n] of Object.entries(healed)) {
      m.healed.inc({ kind }, n);
      this.o.logger.warn({ kind, count: n }, 'kernel state was changed by hand: healed');
    }
    if (Object.keys(healed).length) this.o.onHealed?.(healed);
    const label = { full: String(result.full) };
    m.programmingLatency.observe(label, (this.o.clock.now() - since) / 1000);
    m.syncDuration.observe(label, (performance.now() - t0) / 1000);
    m.lastSuccess.set(this.o.clock.now() / 1000);
    m.role.set({ role: 'director' }, state.director.length ? 1 : 0);
    m.role.set({ role: 'gateway' }, state.gateway.length ? 1 : 0);
    m.entries.set({ role: 'director' }, state.director.length);
    m.entries.set({ role: 'gateway' }, state.gateway.length);
    m.overflow.set(state.overflow.length);
    const changed = [result.changed, ...(result6 ? [result6.changed] : [])].some((c) => Object.values(c).some((n) => n > 0));
    // info only when something changed: a periodic resync that finds nothing to do is debug, so a
    // steady cluster's nodes log nothing
    // each family's time per phase (ms): where a slow claim spends it
    const fields = {
      full: result.full, changed: result.changed, ms: Math.round(performance.now() - t0), phases: roundedPhases(result), waitedMs: Math.round(at.waited),
      ...(result.announcedMs === undefined ? {} : { announcedMs: Math.round(result.announcedMs), computeMs: Math.round(this.syncStart - t0) }),
      ...(result6 ? { ipv6: { changed: result6.changed, phases: roundedPhases(result6) } } : {}),
    };
    if (changed) this.o.logger.info(fields, 'synced');
    else this.o.logger.debug(fields, 'synced');
  }

  /** A kernel lease ran out before its renewal: the model forgets it, and nothing is claimed until the API confirms. */
  leasesLapsed(ips: string[]): void {
    this.dataPlane?.syncer.forgetLeases(ips);
    this.dataPlane?.v6?.syncer.forgetLeases(ips);
    this.o.fencing.lapsed(ips);
  }

  /** Stops the runner and fencing and waits for a running sync. The data path stays as it is. */
  async stop(): Promise<void> {
    this.o.fencing.stop();
    await this.runner.stop();
  }
}

/** Every egress IP of the cluster, and any still on the uplink: the lease guard keeps the node silent for all it has no lease for. */
function guardedIPs(policies: readonly { egressIPs: readonly string[] }[], held: ReadonlySet<string> | null): string[] {
  return sortIPs(new Set([...policies.flatMap((p) => p.egressIPs), ...(held ?? [])]));
}

/** The state holds an address the last synced one did not: a claim (none before the first sync). */
function claimsNewAddress(state: NodeState, previous: NodeState | null): boolean {
  if (!previous) return false;
  const had = new Set(previous.addresses);
  return state.addresses.some((ip) => !had.has(ip));
}

/** Two syncs of one pass as one result: the claim's, then the full one's. */
function mergeSyncs(a: SyncResult, b: SyncResult): SyncResult {
  const sum = <K extends string>(x: Record<K, number>, y: Record<K, number>): Record<K, number> =>
    Object.fromEntries(Object.keys(x).map((k) => [k, x[k as K] + y[k as K]])) as Record<K, number>;
  return {
    full: b.full, healed: b.healed, changed: sum(a.changed, b.changed), addedAddresses: [...a.addedAddresses, ...b.addedAddresses],
    phases: sum(a.phases, b.phases), ...(a.announcedMs === undefined ? {} : { announcedMs: a.announcedMs }),
  };
}

function roundedPhases(r: SyncResult): Record<string, number> {
  return Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
