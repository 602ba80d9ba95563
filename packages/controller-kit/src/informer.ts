import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
} from '@kubernetes/client-node';
import { keyOf, splitKey } from '@static-egress/crds';
import { realClock, type Clock } from './clock.js';
import { silentLogger, type Logger } from './logger.js';
import { createRestarter, resolveBackoff } from './informer-restart.js';
import type { InformerMetrics } from './metrics.js';

/**
 * An informer over client-node's `ListWatch` (what `makeInformer` builds) that fixes what a
 * controller cannot live with:
 * - `ListWatch.start()` resolves even when the first list fails, so `hasSynced()` is tracked
 *   here: true once the first list has been applied to the cache, and it stays true.
 * - `ListWatch` stops for good after a failed list or a watch that ends with an error other than
 *   410; this wrapper restarts it with exponential backoff. 410 Gone / expired resourceVersion
 *   is handled by `ListWatch` itself (it relists and emits deletes for what vanished).
 * - a watch request that rejects outright (auth plugin failure, no cluster) would be an
 *   unhandled rejection inside `ListWatch`; here it becomes a restartable error.
 * - a handler that throws is logged and does not break the watch.
 *
 * Objects from handlers, `get()` and `list()` are the cache's own: never mutate them (copy with
 * `structuredClone` first). With `freeze: true` they are deep-frozen so a mutation throws.
 * Objects from the initial list come from `listFn` (typed client APIs turn timestamps into
 * `Date`), objects from the watch are plain JSON (timestamps are strings): accept both.
 */

export type InformerEvent = 'add' | 'update' | 'delete' | 'change';
export type InformerHandler<T> = (obj: T) => void;

/** What `ListWatch` needs from client-node's `Watch`; the seam tests use. */
export interface WatchLike {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface InformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Watch path, e.g. `/api/v1/pods` or `/apis/staticegress.io/v1alpha1/staticegressips`. */
  path: string;
  /** Lists the same resource as `path` (with the same selectors). */
  listFn: ListPromise<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Name for logs and metrics. Default: `path`. */
  name?: string;
  clock?: Clock;
  logger?: Logger;
  metrics?: InformerMetrics;
  /**
   * Restart backoff after errors: initial (default 500 ms), doubling to max (default 8 s), each
   * delay shortened by up to `jitter` of itself (default 0.25) so that a fleet of agents does not
   * relist in lockstep when the apiserver returns. The cap bounds how long after an apiserver
   * outage a cache stays stale: client-go's 30 s made a new policy wait up to 30 s on a director.
   */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Deep-freeze cached objects so accidental mutation throws. Default false. */
  freeze?: boolean;
  /** Applied to every listed and watched object before the cache (e.g. slimPod: drop unread fields). Pure. */
  transform?: (obj: T) => T;
  /**
   * `listFn` already applied `transform` to what it lists (listInPages does, page by page, so a raw
   * page is dropped as soon as it is read): the informer then applies it to watched objects only.
   */
  listTransformed?: boolean;
  /**
   * True when a watched update changes nothing a reader sees (after `transform`; e.g.
   * `sameApartFromVersion`): the cache takes it, but no 'update'/'change' fires, so a status write
   * of fields the transform dropped costs a reader no pass (issue 16 §4).
   */
  unchanged?: (cached: T, next: T) => boolean;
  /** Replaces client-node's `Watch` (tests). */
  watch?: WatchLike;
}

export interface Informer<T extends KubernetesObject> {
  /** Starts listing and watching in the background; see `waitForSync`. Idempotent. */
  start(): void;
  /** Stops the watch and any pending restart. The cache keeps its last contents. */
  stop(): Promise<void>;
  /** True once the first list has been applied (stays true across restarts). */
  hasSynced(): boolean;
  /** Resolves when synced; rejects after `timeoutMs` (or if stopped) naming the informer. */
  waitForSync(timeoutMs: number): Promise<void>;
  /** All cached objects, or those of one namespace. */
  list(namespace?: string): ReadonlyArray<T>;
  /** By key: `"namespace/name"` for namespaced objects, `"name"` for cluster-scoped ones. */
  get(key: string): T | undefined;
  /** Registers a handler; returns a function that removes it. 'change' = add, update or delete. */
  on(event: InformerEvent, fn: InformerHandler<T>): () => void;
}

function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Waits for every informer, rejecting with the names of those not synced in time. */
export async function waitForCacheSync(
  informers: ReadonlyArray<Pick<Informer<KubernetesObject>, 'waitForSync'>>,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(informers.map((i) => i.waitForSync(timeoutMs)));
}

interface SyncWaiter {
  resolve(): void;
  reject(err: Error): void;
}

/** `hasSynced` and its waiters: synced once the first list is applied, and it stays so. */
function createSyncGate(clock: Clock, name: string, onSynced: () => void) {
  let synced = false;
  const waiters = new Set<SyncWaiter>();
  return {
    isSynced: () => synced,
    markSynced() {
      if (synced) return;
      synced = true;
      onSynced();
      for (const w of waiters) w.resolve();
      waiters.clear();
    },
    rejectAll(err: Error) {
      for (const w of waiters) w.reject(err);
      waiters.clear();
    },
    wait(timeoutMs: number): Promise<void> {
      if (synced) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve: () => {
            clock.clearTimeout(timer);
            resolve();
          },
          reject: (err: Error) => {
            clock.clearTimeout(timer);
            reject(err);
          },
        };
        const timer = clock.setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`informer ${name} not synced after ${timeoutMs}ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Handlers by event; one that throws is logged and does not stop the others. */
function createHandlers<T extends KubernetesObject>(logger: Logger, name: string) {
  const handlers: Record<InformerEvent, Set<InformerHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
    change: new Set(),
  };
  return {
    dispatch(event: InformerEvent, obj: T) {
      for (const set of [handlers[event], handlers.change]) {
        for (const fn of set) {
          try {
            fn(obj);
          } catch (err) {
            logger.error({ informer: name, event, key: keyOf(obj), err }, 'informer handler threw');
          }
        }
      }
    },
    on(event: InformerEvent, fn: InformerHandler<T>): () => void {
      if (!(event in handlers)) throw new Error(`unknown informer event ${event}`);
      handlers[event].add(fn);
      return () => handlers[event].delete(fn);
    },
  };
}

interface WatchProxyHooks {
  isRunning(): boolean;
  /** Around each watched object's application to the cache (after the transform). */
  beforeApply?(phase: string, obj: unknown): void;
  afterApply?(): void;
  /** ListWatch is about to watch: the list before it has been applied. */
  onListApplied(): void;
  /** An event arrived or the watch ended cleanly: the connection works. */
  onWatchHealthy(): void;
}

/**
 * ListWatch calls watch() right after it has applied a list (or to resume from its
 * resourceVersion), so this is where we learn that the cache is populated.
 */
function createWatchProxy(realWatch: WatchLike, hooks: WatchProxyHooks, freeze: boolean, logger: Logger, name: string,
  transform?: (obj: unknown) => unknown): WatchLike {
  return {
    async watch(path, query, callback, done) {
      if (!hooks.isRunning()) return { abort() {} }; // stopped while the list was in flight
      hooks.onListApplied();
      const onEvent = (phase: string, raw: unknown, watchObj?: unknown) => {
        const obj = transform && raw && phase !== 'ERROR' && phase !== 'BOOKMARK' ? transform(raw) : raw;
        hooks.onWatchHealthy(); // the watch works: the next failure starts the backoff afresh
        if (phase === 'ERROR') {
          // 410 is routine (resourceVersion compacted away): ListWatch relists when the watch ends.
          if ((obj as { code?: unknown } | undefined)?.code === 410) logger.debug({ informer: name }, 'watch expired (410); relisting');
          else logger.warn({ informer: name, status: obj }, 'watch error event');
        } else if (freeze && obj) {
          deepFreeze(obj);
        }
        hooks.beforeApply?.(phase, obj);
        try {
          callback(phase, obj, watchObj);
        } finally {
          hooks.afterApply?.();
        }
      };
      const onDone = (err: unknown) => {
        if (!err) hooks.onWatchHealthy();
        done(err);
      };
      try {
        return await realWatch.watch(path, query, onEvent, onDone);
      } catch (err) {
        // Rejections here would escape ListWatch as unhandled; report them as a failed watch.
        queueMicrotask(() => done(err));
        return { abort() {} };
      }
    },
  };
}

/** Whether the watched update being applied is one `unchanged` calls no news (then no 'update' fires). */
function createQuietUpdates<T extends KubernetesObject>(unchanged: ((cached: T, next: T) => boolean) | undefined,
  cachedOf: (name: string, namespace?: string) => T | undefined) {
  let quiet = false;
  return {
    now: () => quiet,
    hooks: unchanged ? {
      beforeApply(phase: string, obj: unknown) {
        const o = obj as T | undefined;
        const cached = phase === 'MODIFIED' && o?.metadata ? cachedOf(o.metadata.name ?? '', o.metadata.namespace || undefined) : undefined;
        quiet = !!cached && unchanged(cached, o!);
      },
      afterApply() {
        quiet = false;
      },
    } : {},
  };
}

export function createInformer<T extends KubernetesObject>(options: InformerOptions<T>): Informer<T> {
  const clock = options.clock ?? realClock;
  const logger = options.logger ?? silentLogger;
  const name = options.name ?? options.path;
  const backoff = resolveBackoff(options, name);
  const realWatch: WatchLike = options.watch ?? (new Watch(options.kc) as unknown as WatchLike);
  const freeze = options.freeze ?? false;

  const handlers = createHandlers<T>(logger, name);
  const gate = createSyncGate(clock, name, () => {
    options.metrics?.synced(true);
    logger.info({ informer: name }, 'informer synced');
  });
  const launch = () => {
    lw.start().catch((err: unknown) => restarter.onError(err));
  };
  const restarter = createRestarter({ clock, backoff, logger, name, metrics: options.metrics, isSynced: gate.isSynced, launch });

  const listFn: ListPromise<T> = async () => {
    const listed = await options.listFn();
    const list = options.transform && !options.listTransformed && listed.items ? { ...listed, items: listed.items.map(options.transform) } : listed;
    if (freeze) for (const item of list.items ?? []) deepFreeze(item);
    return list;
  };
  const quiet = createQuietUpdates<T>(options.unchanged, (n, ns) => lw.get(n, ns));
  const watchProxy = createWatchProxy(
    realWatch,
    { isRunning: restarter.isRunning, onListApplied: gate.markSynced, onWatchHealthy: restarter.healthy, ...quiet.hooks },
    freeze,
    logger,
    name,
    options.transform as ((obj: unknown) => unknown) | undefined,
  );
  const lw = new ListWatch<T>(options.path, watchProxy as unknown as Watch, listFn, false, options.labelSelector, options.fieldSelector);
  lw.on('add', (obj) => handlers.dispatch('add', obj));
  lw.on('update', (obj) => quiet.now() || handlers.dispatch('update', obj));
  lw.on('delete', (obj) => handlers.dispatch('delete', obj));
  lw.on('error', (err: unknown) => restarter.onError(err));
  lw.on('connect', () => logger.debug({ informer: name }, 'list/watch (re)connecting'));

  return {
    start() {
      if (!restarter.start()) return;
      options.metrics?.synced(gate.isSynced());
      launch();
    },
    async stop() {
      restarter.stop();
      await lw.stop();
      gate.rejectAll(new Error(`informer ${name} stopped before it synced`));
    },
    hasSynced: gate.isSynced,
    waitForSync: (timeoutMs) => gate.wait(timeoutMs),
    list: (namespace) => lw.list(namespace),
    get(key) {
      const { namespace, name: objName } = splitKey(key);
      return lw.get(objName, namespace || undefined);
    },
    on: (event, fn) => handlers.on(event, fn),
  };
}
