// The leader's reconcile loop. Informer handlers and probe verdicts only ask for a pass
// (controller-kit's BoundedFrequencyRunner coalesces them and retries failures); one sync
// parses the caches into the cluster view, runs the pure pass (pass.ts), and queues its writes: the
// status of each policy whose status changed, the Events for what really changed, the pools' status.
// The writes drain in the background (write-queue.ts, write-drain.ts: data path first, Events last,
// one place per object), so a pass never waits for an older pass's writes (issue 16 §4).
import pLimit, { type LimitFunction } from 'p-limit';
import { EventReason, parseClusterView, type ClusterView, type EgressIPPoolStatus, type StaticEgressIPStatus, type StaticEgressNode } from '@static-egress/crds';
import {
  BadObjectReporter, BoundedFrequencyRunner, RecentEvents, eventKey, silentLogger, snapshotOf, type ClusterSources, type Clock, type Informer, type Logger,
  type ProbeOrder,
} from '@static-egress/controller-kit';
import type { NodeAnnotator } from '../cloud/node-annotator.js';
import type { CloudSync } from '../cloud/sync.js';
import type { ProbeTarget } from '../health/prober.js';
import type { NamespaceIPAMSync } from '../ipam/sync.js';
import type { ManagerMetrics } from '../metrics.js';
import { computeManagerGauges, type ManagerGauges } from './gauges.js';
import { parseNodeReports } from './programmed.js';
import { computeOrders, type AssignmentChange } from './orders.js';
import { computeReleaseObserved } from './release-watch.js';
import type { EventRecorder, PolicyRef, StatusWriter } from './kube-writer.js';
import {
  computeManagerPass, computeProbeTargets, emptyMemory, type ManagerMemory, type ManagerPass, type PassSettings, type ProbeHealth,
} from './pass.js';
import type { PolicyEvent } from './status.js';
import { StatusOverlay } from './status-overlay.js';
import { WriteDrain } from './write-drain.js';
import { WritePriority, WriteQueue, type QueuedWrite } from './write-queue.js';

/** Writes in flight at once: enough to write a few hundred statuses in well under a second. */
export const DEFAULT_WRITE_CONCURRENCY = 16;
/** Events waiting to be written at most; beyond it new ones are dropped (status carries the same), as client-go's recorder does. */
export const DEFAULT_EVENT_BACKLOG = 1_000;

/**
 * Events that record a move of an egress IP: each is news, even the same move again within minutes
 * (a flapping node), so they are not deduplicated; the others say a condition appeared, once.
 */
const TRANSITIONS: ReadonlySet<string> = new Set([EventReason.EgressIPMoved, EventReason.EgressIPAssigned, EventReason.EgressIPReleased, EventReason.EgressIPUnassigned]);

/** One queued write (write-queue.ts). */
type ManagerWrite =
  | { kind: 'status'; ref: PolicyRef; key: string; status: StaticEgressIPStatus; since: number }
  | { kind: 'event'; ref: PolicyRef; event: PolicyEvent; eventKey: string }
  | { kind: 'pool'; name: string; status: EgressIPPoolStatus };

/** What the controller needs of the prober (NodeProber satisfies it). */
export interface HealthSource {
  setTargets(targets: readonly { node: string; address: string }[]): void;
  health(): Map<string, boolean>;
  held(node: string): ReadonlySet<string> | undefined;
}

export interface ControllerOptions {
  sources: ClusterSources;
  status: StatusWriter;
  events: EventRecorder;
  health: HealthSource;
  clock: Clock;
  logger?: Logger;
  metrics?: ManagerMetrics;
  /**
   * How long after taking an IP from a live node the manager assumes the release happened when the
   * node's agent does not report what it holds (its /healthz body). Agents that report it are
   * confirmed as soon as a probe shows the IP gone.
   */
  releaseGraceMs?: number;
  /**
   * Cloud mode: the cloud's interfaces and calls, and where the capacity annotation is written. Each
   * pass makes the cloud calls before the status that names the new node (cloud/plan.ts).
   */
  cloud?: { sync: CloudSync; annotator: NodeAnnotator };
  /**
   * At most this many status and Event writes in flight (default DEFAULT_WRITE_CONCURRENCY), and as
   * many annotation writes of one pass. A pass that changes thousands of policies (a large cluster's
   * first pass, a node holding hundreds of IPs lost) must not open thousands of requests at once: the
   * apiserver then answers the leader's own Lease renewal too late and leadership is lost mid-pass.
   */
  writeConcurrency?: number;
  /** Events waiting at most (default DEFAULT_EVENT_BACKLOG). */
  eventBacklog?: number;
  /** Namespace opt-in IPAM (ipam/): each pass allocates and releases the opted-in namespaces' egress IPs. */
  namespaceIPAM?: Pick<NamespaceIPAMSync, 'sync'>;
  /**
   * Tells a node's agent to claim or release egress IPs now, on the probe channel (NodeProber.order;
   * issue 16): each pass that moves an IP orders its new and old holder before its status is queued.
   */
  order?: (node: string, order: ProbeOrder) => void;
  /** The agents' StaticEgressNode reports; once synced, each policy's Programmed is set from them. */
  reports?: { hasSynced(): boolean; list(): readonly StaticEgressNode[] };
}

export class Controller {
  private readonly runner: BoundedFrequencyRunner;
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  /** What this leader carries between passes (computeManagerPass). */
  private memory: ManagerMemory = emptyMemory;
  private readonly limit: LimitFunction;
  private readonly queue: WriteQueue<ManagerWrite>;
  private readonly drain: WriteDrain<ManagerWrite>;
  /** Statuses queued or written that the cache may not show yet (status-overlay.ts). */
  private readonly overlay = new StatusOverlay();
  private readonly recentEvents = new RecentEvents();
  /** Status writes failed since the last pass: the next pass queues them again and fails, so the runner backs off. */
  private failedWrites: { count: number; first?: unknown } = { count: 0 };
  private badObjects: BadObjectReporter | undefined;
  private started = false;
  /** When the first change not yet handled by a pass arrived (the assignment latency's start). */
  private pendingSince: number | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.limit = pLimit(opts.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY);
    this.queue = new WriteQueue<ManagerWrite>({ [WritePriority.Event]: opts.eventBacklog ?? DEFAULT_EVENT_BACKLOG });
    this.drain = new WriteDrain({
      queue: this.queue,
      concurrency: opts.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY,
      write: (w) => this.write(w.value),
      onDone: (w, err) => this.written(w, err),
    });
    // no periodic pass: informer events, probe flips and the release requeue drive it
    this.runner = new BoundedFrequencyRunner({
      clock: opts.clock,
      minIntervalMs: 0,
      // a pass over 10,000 policies holds the loop for a second: leave it as long for the Lease and the
      // watches; a small cluster's passes (milliseconds) add nothing to a failover
      idleFactor: 1,
      idleAboveMs: 100,
      retryBaseMs: 50,
      retryMaxMs: 10_000,
      pass: () => this.pass(),
      onError: (err, failures, retryInMs) => this.logger.warn({ err, failures, retryInMs }, 'sync failed; retrying with backoff'),
    });
  }

  /** Starts watching for changes and syncing. The caches must have synced. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const inf of Object.values(this.opts.sources) as Informer<never>[]) this.unsubscribe.push(inf.on('change', () => this.trigger()));
    this.runner.start();
  }

  /** Lets in-flight work finish and stops; queued writes are dropped (a leader that stops writes nothing more). */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop();
    await this.drain.stop();
  }

  /** A probe verdict flipped: re-assign now rather than at the next resync. */
  healthChanged(): void {
    this.trigger();
  }

  /** A probe's report of what the node holds: a release this leader waits for is done, so hand the IP over now. */
  heldReported(node: string, held: ReadonlySet<string>): void {
    if (computeReleaseObserved(this.memory, node, held)) this.trigger();
  }

  private trigger(): void {
    this.pendingSince ??= this.opts.clock.now();
    this.runner.run();
  }

  /** One full pass and its writes drained (tests; the runner runs pass(), which does not wait for them). */
  async sync(): Promise<void> {
    await this.pass();
    await this.drain.idle();
    this.throwIfWritesFailed();
  }

  /** One full pass: compute and queue its writes. Rejects when writes failed since the last pass (the runner backs off). */
  private async pass(): Promise<void> {
    const started = this.opts.clock.now();
    const end = this.opts.metrics?.syncDuration.startTimer();
    try {
      await this.syncOnce();
      this.throwIfWritesFailed();
      end?.({ result: 'success' });
    } catch (err) {
      end?.({ result: 'error' });
      throw err;
    } finally {
      this.logger.debug({ ms: this.opts.clock.now() - started }, 'sync done');
    }
  }

  /** Executes one pass: view → probe targets → health → computeManagerPass → writes. */
  private async syncOnce(): Promise<void> {
    const { sources, health: prober, clock } = this.opts;
    const now = clock.now();
    const since = this.pendingSince ?? now;
    this.pendingSince = undefined;
    // this leader's own statuses still on their way to the cache count as current
    const view = this.overlay.apply(parseClusterView(snapshotOf(sources)));
    await yieldToLoop(); // parsing and assigning are each up to a second at 10,000 policies; timers (the Lease) run between them
    (this.badObjects ??= new BadObjectReporter(this.logger)).report(view.bad);
    const targets = computeProbeTargets(view, this.memory);
    prober.setTargets(targets);
    const health = readHealth(prober, targets);
    const settings: PassSettings = this.opts.releaseGraceMs === undefined ? {} : { releaseGraceMs: this.opts.releaseGraceMs };
    if (this.opts.reports?.hasSynced()) settings.reports = parseNodeReports(this.opts.reports.list());
    const cloud = this.opts.cloud;
    if (cloud) settings.cloud = await cloud.sync.observe(view.nodes.filter((n) => !n.deleted).map((n) => ({ name: n.name, ...(n.providerID ? { providerID: n.providerID } : {}) })));
    let pass = computeManagerPass(view, this.memory, health, now, settings);
    // Cloud calls first; the pass is then computed again on what the cloud now holds, so status
    // names a node only once the cloud delivers the IP to it.
    const cloudFailures = cloud && pass.cloud?.ops.length ? await cloud.sync.apply(pass.cloud.ops) : 0;
    if (cloud && pass.cloud?.ops.length) pass = computeManagerPass(view, this.memory, health, now, { ...settings, cloud: cloud.sync.view() });
    this.memory = pass.memory;
    if (pass.requeueAfter !== undefined) this.runner.runAfter(pass.requeueAfter);
    if (cloud) this.runner.runAfter(cloud.sync.resyncInMs());

    this.queueWrites(view, pass, since);
    const outcomes = await Promise.allSettled([
      ...(pass.cloud?.annotations ?? []).map((a) => this.limit(() => cloud!.annotator.applyEgressIPConfig(a.node, a.value))),
      ...(this.opts.namespaceIPAM ? [this.opts.namespaceIPAM.sync(view, sources.namespaces.list())] : []),
    ]);
    this.recordMetrics(pass.counts, computeManagerGauges(view, pass.memory.previous ?? new Map()));
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} writes failed: ${describe(failed[0]!.reason)}`);
    if (cloudFailures) throw new Error(`${cloudFailures} cloud calls failed (reported in status)`);
  }

  /**
   * Queues the pass's statuses (a moved assignment first), its Events (once per policy, reason and
   * message while the backlog has room) and the pools' statuses, and starts the drain.
   */
  private queueWrites(view: ClusterView, pass: ManagerPass, since: number): void {
    const now = this.opts.clock.now();
    let dropped = 0;
    const changes: AssignmentChange[] = [];
    for (const { ref, status, events } of pass.statuses) {
      const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
      if (status) {
        const cached = view.policyObjects.get(key);
        const moved = !sameAssignments(cached?.status, status);
        if (moved) changes.push({ before: cached?.status?.assignments, after: status.assignments });
        this.queue.put(`status:${key}`, moved ? WritePriority.DataPath : WritePriority.Status, { kind: 'status', ref, key, status, since });
        this.overlay.expect(key, ref.uid, status, cached?.metadata?.resourceVersion);
      }
      for (const event of events) {
        const k = eventKey(ref.uid, event.reason, event.message);
        if (!TRANSITIONS.has(event.reason) && this.recentEvents.repeated(k, now)) continue;
        this.logger.info({ policy: key, reason: event.reason, type: event.type }, event.message);
        if (!this.queue.put(`event:${k}`, WritePriority.Event, { kind: 'event', ref, event, eventKey: k })) {
          this.recentEvents.forget(k);
          dropped++;
        }
      }
    }
    for (const p of pass.poolStatuses) this.queue.put(`pool:${p.name}`, WritePriority.Status, { kind: 'pool', ...p });
    if (dropped) this.logger.warn({ dropped, backlog: this.queue.lengthOf(WritePriority.Event) }, 'Events dropped: the Event backlog is full (each policy\'s status says the same)');
    this.logger.debug({ waiting: this.queue.length, inFlight: this.queue.inFlight }, 'writes queued');
    this.sendOrders(changes);
    this.drain.kick();
  }

  /** The fast path of a move (issue 16): the nodes that gain or lose an IP hear it before the status is written. */
  private sendOrders(changes: readonly AssignmentChange[]): void {
    if (!this.opts.order || changes.length === 0) return;
    for (const [node, order] of computeOrders(changes)) {
      this.logger.info({ node, ...order }, 'order sent on the probe channel');
      this.opts.order(node, order);
    }
  }

  private async write(w: ManagerWrite): Promise<void> {
    if (w.kind === 'status') return this.opts.status.applyPolicyStatus(w.ref, w.status);
    if (w.kind === 'pool') return this.opts.status.applyPoolStatus(w.name, w.status);
    return this.opts.events.applyEvent(w.ref, w.event);
  }

  /** A queued write finished: mark its status written, or have a pass queue it again. */
  private written({ value: w }: QueuedWrite<ManagerWrite>, err: unknown): void {
    if (w.kind === 'event') {
      // An Event is a courtesy; losing one must not block status.
      if (err) this.logger.warn({ policy: w.ref.namespace ? `${w.ref.namespace}/${w.ref.name}` : w.ref.name, err }, 'could not record Event');
      return;
    }
    if (err === undefined) {
      if (w.kind === 'status') this.overlay.written(w.key, w.status);
      // every status a pass wrote, as before the write queue (its help text): an unplaceable policy's too
      if (w.kind === 'status') this.opts.metrics?.assignmentLatency.observe((this.opts.clock.now() - w.since) / 1000);
      return;
    }
    if (w.kind === 'status') this.overlay.failed(w.key, w.status);
    this.failedWrites.count++;
    this.failedWrites.first ??= err;
    this.trigger();
  }

  private throwIfWritesFailed(): void {
    const { count, first } = this.failedWrites;
    if (count === 0) return;
    this.failedWrites = { count: 0 };
    throw new Error(`${count} writes failed: ${describe(first)}`);
  }

  private recordMetrics(counts: ManagerPass['counts'], gauges: ManagerGauges): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.assignedIPs.set(counts.assigned);
    m.unassignedIPs.set(counts.unassigned);
    if (counts.failovers) m.failovers.inc(counts.failovers);
    for (const g of [m.poolCapacity, m.poolAllocated, m.poolHeld, m.nodeHeld, m.nodeCapacity]) g.reset();
    for (const p of gauges.pools) {
      m.poolCapacity.set({ pool: p.pool }, p.capacity);
      m.poolAllocated.set({ pool: p.pool }, p.allocated);
      m.poolHeld.set({ pool: p.pool }, p.held);
    }
    for (const n of gauges.nodes) {
      m.nodeHeld.set({ node: n.node }, n.held);
      m.nodeCapacity.set({ node: n.node }, n.capacity);
    }
  }
}

/** The prober's verdicts and reported holdings, for the targets it was just given. */
function readHealth(prober: HealthSource, targets: readonly ProbeTarget[]): ProbeHealth {
  const held = new Map<string, ReadonlySet<string>>();
  for (const { node } of targets) {
    const h = prober.held(node);
    if (h) held.set(node, h);
  }
  return { verdicts: prober.health(), held };
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether a status names other holders than the cached one (what agents program from). */
function sameAssignments(a: StaticEgressIPStatus | undefined, b: StaticEgressIPStatus): boolean {
  const text = (s: StaticEgressIPStatus | undefined) => (s?.assignments ?? []).map((x) => `${x.egressIP}=${x.node}`).join(',');
  return text(a) === text(b);
}

function describe(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim().split('\n')[0] ?? '';
}
