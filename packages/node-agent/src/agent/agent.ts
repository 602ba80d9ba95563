// The agent loop (kube-proxy style): events only mark the state dirty; one rate-limited sync does
// all kernel writes from the whole desired state; a periodic and an after-failure full resync
// re-read the kernel and heal whatever was changed by hand.
import type { Clock, Logger, TimerHandle } from '@static-egress/controller-kit';
import { computeNodeState, slotsOf } from '../desired/compute.js';
import type { NodeState, NodeStateInput } from '../desired/types.js';
import type { AgentMetrics } from '../metrics.js';
import type { NodeSyncer } from '../reconcile/syncer.js';
import { renderState } from '../render/state.js';
import type { RenderConfig } from '../render/types.js';
import type { Fence } from './fence.js';

export interface AgentOptions {
  clock: Clock;
  logger: Logger;
  syncer: NodeSyncer;
  metrics: AgentMetrics;
  render: RenderConfig;
  fence: Fence;
  /**
   * A fresh read from the API server (a quorum list, not the cache): the egress IPs assigned to this
   * node now. A fenced gateway takes back only what this confirms, because after a partition its
   * watches may still be silent and its cache may still assign it IPs that have moved.
   */
  confirmHeld: () => Promise<ReadonlySet<string>>;
  /** How long one confirmation may take before it counts as failed. Default 2 s. */
  confirmTimeoutMs?: number;
  /** Builds computeNodeState's input from the caches; null while not ready (own Node unknown). */
  inputs: (extra: { previousSlots?: ReadonlyMap<string, number>; fenced: boolean; holdOnly?: ReadonlySet<string> }) => NodeStateInput | null;
  resyncIntervalMs: number;
  /** Minimum time between two syncs (batches event storms). Default 50 ms. */
  minIntervalMs?: number;
  /** Retry delay after a failure, doubling up to resyncIntervalMs. Default 500 ms. */
  retryMs?: number;
}

export class Agent {
  private dirtySince: number | null = null;
  private full = true;
  private running: Promise<void> | null = null;
  private timer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private fenceTimer: TimerHandle | undefined;
  private lastRun = 0;
  private failures = 0;
  private stopped = false;
  private wasFenced = false;
  /**
   * After fencing: the egress IPs the API confirmed, the only ones held until the cache claims no
   * others (it has caught up). null: no restriction.
   */
  private confirmed: ReadonlySet<string> | null = null;
  private confirming = false;
  private lastConfirm = Number.NEGATIVE_INFINITY;
  private last: NodeState | null = null;
  synced = false;

  constructor(private readonly o: AgentOptions) {}

  start(): void {
    this.markDirty('startup');
    this.scheduleResync();
    this.watchFence();
  }

  /** Something changed (an informer event, a fence flip): sync soon. */
  markDirty(_reason: string): void {
    if (this.dirtySince === null) this.dirtySince = this.o.clock.now();
    this.schedule(this.o.minIntervalMs ?? 50);
  }

  get lastState(): NodeState | null {
    return this.last;
  }

  /** Self-fenced now (only a node that holds, or would hold, egress addresses ever is). */
  get fenced(): boolean {
    return this.wasFenced;
  }

  private schedule(minGap: number): void {
    if (this.stopped || this.timer !== undefined || this.running) return;
    const wait = Math.max(0, this.lastRun + minGap - this.o.clock.now());
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.dirtySince !== null) this.schedule(this.failures ? this.retryDelay() : (this.o.minIntervalMs ?? 50));
      });
    }, wait);
  }

  private retryDelay(): number {
    return Math.min(this.o.resyncIntervalMs, (this.o.retryMs ?? 500) * 2 ** Math.min(10, this.failures - 1));
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.o.clock.setTimeout(() => {
      this.full = true;
      this.markDirty('resync');
      this.scheduleResync();
    }, this.o.resyncIntervalMs);
  }

  /** Fencing only concerns a node that holds (or would hold) egress addresses. */
  private fencedNow(): boolean {
    return (this.last?.gateway.length ?? 0) > 0 && this.o.fence.isFenced();
  }

  private watchFence(): void {
    if (this.stopped) return;
    const fenced = this.fencedNow();
    if (fenced && !this.wasFenced) {
      this.wasFenced = true;
      this.confirmed = new Set();
      this.o.metrics.fenced.set(1);
      this.o.logger.warn({}, 'no contact with the API server or the manager: dropping egress addresses');
      this.markDirty('fence');
    } else if (!fenced && this.wasFenced) {
      this.confirm(); // contact: take back what the API confirms
    } else if (this.confirmed && !this.wasFenced) {
      const claimed = this.last?.gateway.map((g) => g.egressIP) ?? [];
      if (claimed.every((ip) => this.confirmed!.has(ip))) {
        this.confirmed = null; // the cache has caught up
        this.o.logger.info({}, 'cache agrees with the API again: egress addresses follow it');
        this.markDirty('fence');
      } else {
        this.confirm(); // still stale (or the IP came back to us): ask again, at most once a second
      }
    }
    const watching = this.wasFenced || this.confirmed !== null;
    this.fenceTimer = this.o.clock.setTimeout(() => this.watchFence(), watching ? 100 : Math.min(this.o.fence.msUntilFence(), 1000));
  }

  private confirm(): void {
    const now = this.o.clock.now();
    if (this.confirming || now - this.lastConfirm < 1000) return;
    this.confirming = true;
    this.lastConfirm = now;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.o.clock.setTimeout(() => reject(new Error('timed out')), this.o.confirmTimeoutMs ?? 2000);
    });
    Promise.race([this.o.confirmHeld(), timeout]).then((held) => {
      if (this.stopped) return;
      this.confirmed = held;
      if (this.wasFenced) {
        this.wasFenced = false;
        this.o.metrics.fenced.set(0);
        this.o.logger.warn({ confirmed: [...held] }, 'contact restored: taking back the egress addresses the API confirms');
      }
      this.markDirty('fence');
    }, (err: Error) => {
      this.o.logger.warn({ err: err.message, fenced: this.wasFenced }, 'could not confirm this node\'s egress IPs with the API server');
    }).finally(() => {
      this.o.clock.clearTimeout(timer);
      this.confirming = false;
    });
  }

  private async run(): Promise<void> {
    const since = this.dirtySince ?? this.o.clock.now();
    this.dirtySince = null;
    this.lastRun = this.o.clock.now();
    const full = this.full;
    const t0 = performance.now();
    try {
      const fenced = this.wasFenced || this.fencedNow();
      const input = this.o.inputs({
        ...(this.last ? { previousSlots: slotsOf(this.last) } : {}),
        fenced,
        ...(this.confirmed ? { holdOnly: this.confirmed } : {}),
      });
      if (!input) {
        this.o.logger.info({}, 'waiting for this node (and its InternalIP) to appear');
        return;
      }
      const state = computeNodeState(input);
      if (state.overflow.length) this.o.logger.error({ overflow: state.overflow }, 'no free mark/table slot for these egress IPs: widen --fwmark/--table-range/--rule-priority');
      const result = await this.o.syncer.sync(renderState(state, this.o.render), { full });
      this.full = false;
      this.failures = 0;
      this.last = state;
      this.synced = true;
      const m = this.o.metrics;
      for (const [kind, n] of Object.entries(result.healed)) {
        m.healed.inc({ kind }, n);
        this.o.logger.warn({ kind, count: n }, 'kernel state was changed by hand: healed');
      }
      const label = { full: String(result.full) };
      m.programmingLatency.observe(label, (this.o.clock.now() - since) / 1000);
      m.syncDuration.observe(label, (performance.now() - t0) / 1000);
      m.lastSuccess.set(this.o.clock.now() / 1000);
      m.role.set({ role: 'director' }, state.director.length ? 1 : 0);
      m.role.set({ role: 'gateway' }, state.gateway.length ? 1 : 0);
      m.entries.set({ role: 'director' }, state.director.length);
      m.entries.set({ role: 'gateway' }, state.gateway.length);
      m.overflow.set(state.overflow.length);
      const changed = Object.values(result.changed).some((n) => n > 0);
      if (changed || result.full) this.o.logger.info({ full: result.full, changed: result.changed, ms: Math.round(performance.now() - t0) }, 'synced');
    } catch (err) {
      this.failures++;
      this.full = true;
      this.o.syncer.requestFull();
      this.o.metrics.syncFailures.inc();
      this.o.logger.error({ err: (err as Error).message, failures: this.failures }, 'sync failed; retrying with a full resync');
      if (this.dirtySince === null) this.dirtySince = since;
    }
  }

  /** Stops timers and waits for a running sync. The data path stays as it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    this.o.clock.clearTimeout(this.resyncTimer);
    this.o.clock.clearTimeout(this.fenceTimer);
    await this.running;
  }
}
