// The leader's reconcile loop. Informer handlers and probe verdicts only enqueue one key; one sync
// reads the caches, parses at the edge, runs the pure semantics and assignment, and writes the
// status of each policy whose status changed plus the Events for what really changed.
import {
  ParseError,
  authorizeEgressIPs,
  parsePolicy,
  parsePool,
  podInfoFromPod,
  selectPods,
  serviceInfoFromService,
  matchesSelector,
  MAX_IPS_ANNOTATION,
  type Policy,
  type Pool,
  type StaticEgressIP,
} from '@static-egress/crds';
import { WorkQueue, silentLogger, type ClusterSources, type Clock, type Informer, type Logger } from '@static-egress/controller-kit';
import { assignEgressIPs, type AssignResult } from '../assign/assign.js';
import { parseNode, type NodeInfo } from '../health/node-state.js';
import type { ManagerMetrics } from '../metrics.js';
import type { EventRecorder, StatusWriter } from './kube-writer.js';
import { computePoolStatus, poolStatusChanged } from './pool-status.js';
import { computeInvalidPolicyStatus, computePolicyStatus, type PodConflict, type PolicyStatusResult } from './status.js';

/** The manager watches exactly the shared cluster sources. */
export type ControllerSources = ClusterSources;

/** What the controller needs of the prober (NodeProber satisfies it). */
export interface HealthSource {
  setTargets(targets: readonly { node: string; address: string }[]): void;
  health(): Map<string, boolean>;
  held(node: string): ReadonlySet<string> | undefined;
}

export interface ControllerOptions {
  sources: ControllerSources;
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
}

const KEY = 'assign';

export class Controller {
  private readonly queue: WorkQueue;
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  /** The assignment as this leader last computed it; seeded from status on the first sync. */
  private previous: Map<string, string> | undefined;
  private readonly releasing = new Map<string, { node: string; since: number }>();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.queue = new WorkQueue({ clock: opts.clock, logger: this.logger, baseDelayMs: 50, maxDelayMs: 10_000 });
  }

  /** Starts watching for changes and syncing. The caches must have synced. */
  start(): void {
    if (this.running) return;
    const enqueue = () => this.queue.add(KEY);
    for (const inf of Object.values(this.opts.sources) as Informer<never>[]) this.unsubscribe.push(inf.on('change', enqueue));
    this.running = this.queue.run(() => this.sync());
    enqueue();
  }

  /** Lets in-flight work finish and stops. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.queue.shutdown();
    await this.running;
  }

  /** A probe verdict flipped: re-assign now rather than at the next resync. */
  healthChanged(): void {
    this.queue.add(KEY);
  }

  /** One full pass. Exposed for tests; normally run by the queue. */
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

  private async syncOnce(): Promise<void> {
    const { sources, clock } = this.opts;
    const now = clock.now();

    const policies: Policy[] = [];
    const invalid: { obj: StaticEgressIP; err: ParseError }[] = [];
    for (const obj of sources.policies.list()) {
      try {
        policies.push(parsePolicy(obj));
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        invalid.push({ obj, err });
      }
    }
    const pools: Pool[] = [];
    for (const obj of sources.pools.list()) {
      try {
        pools.push(parsePool(obj));
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        this.logger.warn({ pool: obj.metadata?.name, err: err.message }, 'ignoring invalid EgressIPPool');
      }
    }
    const nodes = sources.nodes.list().map(parseNode);
    const nsLabels = new Map(sources.namespaces.list().map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]));
    const nodeAddresses = new Set(nodes.flatMap((n) => n.addresses));

    const authorization = authorizeEgressIPs(policies, pools, nsLabels, nodeAddresses);
    const selection = selectPods(
      policies,
      sources.pods.list().map(podInfoFromPod),
      sources.services.list().map(serviceInfoFromService),
    );
    const podConflicts = collectPodConflicts(selection);

    this.opts.health.setTargets(probeTargets(nodes, pools, this.previous));
    const health = this.opts.health.health();

    if (!this.previous) this.previous = previousFromStatus(policies);
    const releasing = this.confirmReleases(nodes, health, now);

    const result = assignEgressIPs({
      policies: policies.map((p) => ({
        key: p.key,
        createdAt: p.createdAt,
        ips: (authorization.get(p.key) ?? []).flatMap((a) => (a.problem || !a.pool ? [] : [{ ip: a.ip, pool: a.pool }])),
      })),
      pools,
      nodes,
      health,
      previous: this.previous,
      releasing,
      capacityAnnotation: MAX_IPS_ANNOTATION,
    });
    this.previous = result.assignments;
    for (const [ip, node] of result.releasing) {
      const had = this.releasing.get(ip);
      if (!had || had.node !== node) this.releasing.set(ip, { node, since: now });
    }
    for (const ip of [...this.releasing.keys()]) if (!result.releasing.has(ip)) this.releasing.delete(ip);
    if (this.releasing.size > 0 && this.opts.releaseGraceMs !== undefined) this.queue.addAfter(KEY, this.opts.releaseGraceMs);

    const nodeProblems = describeNodeProblems(nodes, health);
    const nowDate = new Date(now);
    const writes: Promise<void>[] = [];
    for (const p of policies) {
      const obj = sources.policies.get(p.key);
      const res = computePolicyStatus({
        policy: p,
        current: obj?.status,
        authorization: authorization.get(p.key) ?? [],
        assignments: result.assignments,
        unassigned: result.unassigned.filter((u) => u.policyKey === p.key),
        moves: result.moves.filter((m) => m.policyKey === p.key),
        podConflicts: podConflicts.get(p.key) ?? [],
        nodeProblems,
        now: nowDate,
      });
      writes.push(this.write({ namespace: p.namespace, name: p.name, uid: p.uid }, res));
    }
    for (const { obj, err } of invalid) {
      const res = computeInvalidPolicyStatus({
        generation: obj.metadata?.generation ?? 0,
        current: obj.status,
        message: `${err.field}: ${err.detail}`,
        now: nowDate,
      });
      const ref = { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '' };
      writes.push(this.write(ref, res));
    }
    for (const pool of pools) {
      const obj = sources.pools.get(pool.name);
      const next = computePoolStatus({ pool, generation: obj?.metadata?.generation ?? 0, authorization, assignments: result.assignments });
      if (poolStatusChanged(obj?.status, next)) writes.push(this.opts.status.applyPoolStatus(pool.name, next));
    }
    const outcomes = await Promise.allSettled(writes);
    this.recordMetrics(result);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} status writes failed: ${describe(failed[0]!.reason)}`);
  }

  private async write(ref: { namespace: string; name: string; uid: string }, res: PolicyStatusResult): Promise<void> {
    if (res.changed) await this.opts.status.applyPolicyStatus(ref, res.status);
    for (const ev of res.events) {
      this.logger.info({ policy: `${ref.namespace}/${ref.name}`, reason: ev.reason, type: ev.type }, ev.message);
      try {
        await this.opts.events.applyEvent(ref, ev);
      } catch (err) {
        // An Event is a courtesy; losing one must not block status.
        this.logger.warn({ policy: `${ref.namespace}/${ref.name}`, err: describe(err) }, 'could not record Event');
      }
    }
  }

  /**
   * Drops releases that are done: the holder died (it fences itself), its agent reports the IP
   * gone, or — for agents that do not report holdings — the grace period passed. Also treats IPs an
   * agent reports holding but is not assigned (e.g. from before a leader change) as releasing.
   */
  private confirmReleases(nodes: NodeInfo[], health: Map<string, boolean>, now: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const [ip, { node, since }] of this.releasing) {
      const held = this.opts.health.held(node);
      const done = held ? !held.has(ip) : this.opts.releaseGraceMs !== undefined && now - since >= this.opts.releaseGraceMs;
      if (done) this.releasing.delete(ip);
      else out.set(ip, node);
    }
    for (const n of nodes) {
      if (health.get(n.name) === false) continue;
      for (const ip of this.opts.health.held(n.name) ?? []) {
        if (this.previous?.get(ip) !== n.name && !out.has(ip)) out.set(ip, n.name);
      }
    }
    return out;
  }

  private recordMetrics(result: AssignResult): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.assignedIPs.set(result.assignments.size);
    m.unassignedIPs.set(result.unassigned.length);
    const failovers = result.moves.filter((x) => x.kind === 'failover' && x.to !== undefined).length;
    if (failovers) m.failovers.inc(failovers);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim().split('\n')[0] ?? '';
}

/** Older policies first, so a stale double claim in status resolves like authorization does. */
function previousFromStatus(policies: Policy[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of [...policies].sort((a, b) => b.createdAt - a.createdAt)) for (const [ip, node] of p.assignments) m.set(ip, node);
  return m;
}

/** Nodes a pool admits and nodes holding an IP, probed on their InternalIP. */
function probeTargets(nodes: NodeInfo[], pools: Pool[], previous: Map<string, string> | undefined) {
  const holders = new Set(previous?.values() ?? []);
  return nodes
    .filter((n) => n.internalIP && !n.deleted && (holders.has(n.name) || pools.some((p) => matchesSelector(n.labels, p.nodeSelector))))
    .map((n) => ({ node: n.name, address: n.internalIP! }));
}

function describeNodeProblems(nodes: NodeInfo[], health: Map<string, boolean>): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of nodes) {
    if (n.deleted) m.set(n.name, `Node ${n.name} is being deleted`);
    else if (!n.ready) m.set(n.name, `Node ${n.name} is NotReady`);
    else if (health.get(n.name) === false) m.set(n.name, `the agent on ${n.name} stopped answering its health probe`);
    else if (n.cordoned) m.set(n.name, `Node ${n.name} is cordoned`);
  }
  return m;
}

/** loser policy → the winners that keep its pods, with the pods. */
function collectPodConflicts(selection: Map<string, { policyKey: string; losers: string[] }>): Map<string, PodConflict[]> {
  const byLoser = new Map<string, Map<string, string[]>>();
  for (const [pod, sel] of selection) {
    for (const loser of sel.losers) {
      const winners = byLoser.get(loser) ?? new Map<string, string[]>();
      winners.set(sel.policyKey, [...(winners.get(sel.policyKey) ?? []), pod]);
      byLoser.set(loser, winners);
    }
  }
  const out = new Map<string, PodConflict[]>();
  for (const [loser, winners] of byLoser) {
    out.set(
      loser,
      [...winners].sort(([a], [b]) => (a < b ? -1 : 1)).map(([winner, pods]) => ({ winner, pods: pods.sort() })),
    );
  }
  return out;
}
