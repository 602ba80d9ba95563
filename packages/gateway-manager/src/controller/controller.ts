// The leader's reconcile loop. Informer handlers and probe verdicts only ask for a pass
// (controller-kit's BoundedFrequencyRunner coalesces them and retries failures); one sync
// parses the caches into the cluster view, runs the pure pass (pass.ts), and executes it: the status
// of each policy whose status changed, the Events for what really changed, the pools' status.
import pLimit, { type LimitFunction } from 'p-limit';
import { parseClusterView, type StaticEgressNode } from '@static-egress/crds';
import {
  BadObjectReporter, BoundedFrequencyRunner, silentLogger, snapshotOf, type ClusterSources, type Clock, type Informer, type Logger,
} from '@static-egress/controller-kit';
import type { NodeAnnotator } from '../cloud/node-annotator.js';
import type { CloudSync } from '../cloud/sync.js';
import type { ProbeTarget } from '../health/prober.js';
import type { NamespaceIPAMSync } from '../ipam/sync.js';
import type { ManagerMetrics } from '../metrics.js';
import { computeManagerGauges, type ManagerGauges } from './gauges.js';
import { parseNodeReports } from './programmed.js';
import { computeReleaseObserved } from './release-watch.js';
import type { EventRecorder, StatusWriter } from './kube-writer.js';
import {
  computeManagerPass, computeProbeTargets, emptyMemory, type ManagerMemory, type ManagerPass, type PassSettings, type PolicyWrite, type ProbeHealth,
} from './pass.js';

/** Writes of one pass in flight at once: enough to write a few hundred statuses in well under a second. */
export const DEFAULT_WRITE_CONCURRENCY = 16;

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
   * At most this many status, Event and annotation writes of one pass in flight (default
   * DEFAULT_WRITE_CONCURRENCY). A pass that changes thousands of policies (a large cluster's first
   * pass, a node holding hundreds of IPs lost) must not open thousands of requests at once: the
   * apiserver then answers the leader's own Lease renewal too late and leadership is lost mid-pass.
   */
  writeConcurrency?: number;
  /** Namespace opt-in IPAM (ipam/): each pass allocates and releases the opted-in namespaces' egress IPs. */
  namespaceIPAM?: Pick<NamespaceIPAMSync, 'sync'>;
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
  private badObjects: BadObjectReporter | undefined;
  private started = false;
  /** When the first change not yet handled by a pass arrived (the assignment latency's start). */
  private pendingSince: number | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.limit = pLimit(opts.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY);
    // no periodic pass: informer events, probe flips and the release requeue drive it
    this.runner = new BoundedFrequencyRunner({
      clock: opts.clock,
      minIntervalMs: 0,
      retryBaseMs: 50,
      retryMaxMs: 10_000,
      pass: () => this.sync(),
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

  /** Lets in-flight work finish and stops. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.runner.stop();
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

  /** One full pass. Exposed for tests; normally run by the runner. */
  async sync(): Promise<void> {
    const started = this.opts.clock.now();
    const end = this.opts.metrics?.syncDuration.startTimer();
    try {
      await this.syncOnce();
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
    const view = parseClusterView(snapshotOf(sources));
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

    const outcomes = await Promise.allSettled([
      ...pass.statuses.map((w) => this.limit(() => this.write(w))),
      ...pass.poolStatuses.map((p) => this.limit(() => this.opts.status.applyPoolStatus(p.name, p.status))),
      ...(pass.cloud?.annotations ?? []).map((a) => this.limit(() => cloud!.annotator.applyEgressIPConfig(a.node, a.value))),
      ...(this.opts.namespaceIPAM ? [this.opts.namespaceIPAM.sync(view, sources.namespaces.list())] : []),
    ]);
    this.recordMetrics(pass.counts, computeManagerGauges(view, pass.memory.previous ?? new Map()));
    if (pass.statuses.length > 0) this.opts.metrics?.assignmentLatency.observe((clock.now() - since) / 1000);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} writes failed: ${describe(failed[0]!.reason)}`);
    if (cloudFailures) throw new Error(`${cloudFailures} cloud calls failed (reported in status)`);
  }

  private async write({ ref, status, events }: PolicyWrite): Promise<void> {
    if (status) await this.opts.status.applyPolicyStatus(ref, status);
    for (const ev of events) {
      this.logger.info({ policy: ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name, reason: ev.reason, type: ev.type }, ev.message);
      try {
        await this.opts.events.applyEvent(ref, ev);
      } catch (err) {
        // An Event is a courtesy; losing one must not block status.
        this.logger.warn({ policy: ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name, err }, 'could not record Event');
      }
    }
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

function describe(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim().split('\n')[0] ?? '';
}
