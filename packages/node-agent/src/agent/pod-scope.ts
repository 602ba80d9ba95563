// Which pods an agent watches (issue 16 §4). A director needs only its own node's pods; a gateway
// SNATs the pods of every node. So an agent whose node no pool admits as a gateway, and that holds
// no egress IP, watches only `spec.nodeName=<node>`: in a large cluster most agents then cache a
// node's worth of pods and receive nothing when a pod elsewhere changes. A gateway-eligible node
// (its labels match a pool's nodeSelector — the manager's own rule for gateways — or it holds an IP)
// watches all pods, exactly as before. A scope change starts the new watch and swaps when it has
// listed; until a node that must watch all pods has them, the agent computes no new state (it keeps
// what it programmed), so a new gateway never programs an egress IP without its members.
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import {
  createInformer, createInformerMetrics, listInPages, slimPod, type Clock, type Informer, type InformerEvent, type InformerHandler, type Logger, type TimerHandle,
} from '@static-egress/controller-kit';
import type { Registry } from 'prom-client';
import { matchesSelector, parsePool, type ClusterStaticEgressIP, type EgressIPPool, type StaticEgressIP } from '@static-egress/crds';

export type PodScope = 'node' | 'cluster';

/**
 * Pure: 'node' only when this node is known, no pool admits it as a gateway and no policy's status
 * names it as a holder; anything unknown or unparsable widens to 'cluster' (the safe side).
 */
export function computePodScope(nodeName: string, node: V1Node | undefined, pools: readonly EgressIPPool[],
  policies: ReadonlyArray<StaticEgressIP | ClusterStaticEgressIP>): PodScope {
  if (!node) return 'cluster';
  const labels = node.metadata?.labels ?? {};
  for (const obj of pools) {
    try {
      if (matchesSelector(labels, parsePool(obj).nodeSelector)) return 'cluster';
    } catch {
      return 'cluster';
    }
  }
  const holds = policies.some((p) => (p.status?.assignments ?? []).some((a) => a.node === nodeName));
  return holds ? 'cluster' : 'node';
}

export interface ScopedPodsOptions {
  /** A new, unstarted pod informer for the scope. */
  make: (scope: PodScope) => Informer<V1Pod>;
  /** The scope now, or undefined while it cannot be known yet (policies, pools or Nodes not listed). */
  scope: () => PodScope | undefined;
  logger: Logger;
  clock: Clock;
  /**
   * A node that stops being a gateway narrows to its own pods only after wanting to for this long:
   * directors' routes to it may be stale for a moment, and its leak guard (every policy's pods,
   * dropped unless SNATed) must still know them. Default 60 s.
   */
  narrowAfterMs?: number;
}

/**
 * An Informer<V1Pod> over the pod informer of the current scope. `refresh()` (on every change of
 * Nodes, pools or policies) starts the informer of a new scope and swaps to it once it has listed.
 */
export class ScopedPods implements Informer<V1Pod> {
  private active: { scope: PodScope; inf: Informer<V1Pod> } | undefined;
  private pending: { scope: PodScope; inf: Informer<V1Pod> } | undefined;
  private started = false;
  private readonly handlers: Array<[InformerEvent, InformerHandler<V1Pod>]> = [];
  private readonly syncWaiters: Array<() => void> = [];
  private soon: TimerHandle | undefined;
  private narrowSince: number | undefined;
  private narrowTimer: TimerHandle | undefined;

  constructor(private readonly o: ScopedPodsOptions) {}

  /** The scope whose pods are cached now (undefined before the first list). */
  get scope(): PodScope | undefined { return this.active?.scope; }

  /** False while the pods this node must see are not all cached yet (the agent then computes nothing new). */
  complete(): boolean {
    const want = this.o.scope();
    return !!this.active && this.active.inf.hasSynced() && (this.active.scope === 'cluster' || want === 'node');
  }

  start(): void {
    this.started = true;
    this.refresh();
  }

  /** refresh() once after a burst of changes (a list of 10,000 policies is 10,000 events). */
  refreshSoon(): void {
    this.soon ??= this.o.clock.setTimeout(() => { this.soon = undefined; this.refresh(); }, 20);
  }

  refresh(): void {
    if (!this.started) return;
    const want = this.o.scope();
    if (want === undefined || this.pending?.scope === want) return;
    if (want === 'cluster') this.narrowSince = undefined;
    if (this.active?.scope === want) { // a swap in flight is no longer wanted
      void this.pending?.inf.stop();
      this.pending = undefined;
      return;
    }
    if (want === 'node' && this.active && !this.narrowDue()) return;
    void this.pending?.inf.stop();
    const inf = this.o.make(want);
    for (const [ev, fn] of this.handlers) inf.on(ev, fn);
    const next = { scope: want, inf };
    this.pending = next;
    inf.start();
    this.o.logger.info({ scope: want }, want === 'node' ? 'watching this node\'s pods only' : 'watching all pods (gateway-eligible or holding)');
    inf.waitForSync(2 ** 31 - 1).then(() => this.swap(next), () => undefined);
  }

  /** True once the wish to narrow has lasted narrowAfterMs; arms a timer to look again. */
  private narrowDue(): boolean {
    const after = this.o.narrowAfterMs ?? 60_000;
    const now = this.o.clock.now();
    this.narrowSince ??= now;
    if (now - this.narrowSince >= after) return true;
    this.o.clock.clearTimeout(this.narrowTimer);
    this.narrowTimer = this.o.clock.setTimeout(() => this.refresh(), this.narrowSince + after - now);
    return false;
  }

  private swap(next: { scope: PodScope; inf: Informer<V1Pod> }): void {
    if (this.pending !== next) return; // superseded meanwhile
    const old = this.active;
    this.active = next;
    this.pending = undefined;
    void old?.inf.stop();
    for (const w of this.syncWaiters.splice(0)) w();
    // the whole cache changed: 'change' handlers run once, with an empty object (handlers must take
    // any pod anyway: a delete's object may be partial)
    for (const [ev, fn] of this.handlers) if (ev === 'change') fn({ metadata: {} });
  }

  async stop(): Promise<void> {
    this.started = false;
    this.o.clock.clearTimeout(this.soon);
    this.o.clock.clearTimeout(this.narrowTimer);
    await Promise.all([this.active?.inf.stop(), this.pending?.inf.stop()]);
  }

  hasSynced(): boolean { return !!this.active?.inf.hasSynced(); }

  waitForSync(timeoutMs: number): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`informer pods (scoped) not synced after ${timeoutMs} ms`)), timeoutMs);
      this.syncWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  list(namespace?: string): ReadonlyArray<V1Pod> { return this.active?.inf.list(namespace) ?? []; }
  get(key: string): V1Pod | undefined { return this.active?.inf.get(key); }

  on(event: InformerEvent, fn: InformerHandler<V1Pod>): () => void {
    this.handlers.push([event, fn]);
    const offs = [this.active, this.pending].flatMap((x) => (x ? [x.inf.on(event, fn)] : []));
    return () => {
      const i = this.handlers.findIndex(([e, f]) => e === event && f === fn);
      if (i >= 0) this.handlers.splice(i, 1);
      for (const off of offs) off();
    };
  }
}

/** A pod informer for the scope: all pods, or this node's (field-selected), slim either way. Not started. */
export function createScopedPodInformer(kc: KubeConfig, logger: Logger, registry: Registry | undefined, scope: PodScope, nodeName: string): Informer<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const fieldSelector = scope === 'node' ? `spec.nodeName=${nodeName}` : undefined;
  return createInformer<V1Pod>({
    kc, name: 'pods', logger, path: '/api/v1/pods', transform: slimPod, listTransformed: true,
    ...(fieldSelector ? { fieldSelector } : {}),
    listFn: () => listInPages((p) => core.listPodForAllNamespaces({ ...p, ...(fieldSelector ? { fieldSelector } : {}) }), slimPod),
    ...(registry ? { metrics: createInformerMetrics(registry, 'pods') } : {}),
  });
}
