import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.js';

export const DEFAULT_METRIC_PREFIX = 'static_egress_';

const prefixes = new WeakMap<Registry, string>();

/**
 * A fresh prom-client registry (never the global one, so two daemons or two tests in one process
 * do not collide) with Node's default process metrics under `prefix`.
 */
export function createRegistry(
  prefix = DEFAULT_METRIC_PREFIX,
  options: { defaultMetrics?: boolean } = {},
): Registry {
  const registry = new Registry();
  prefixes.set(registry, prefix);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

/** The prefix a registry was created with (`static_egress_` for foreign registries). */
export function metricPrefix(registry: Registry): string {
  return prefixes.get(registry) ?? DEFAULT_METRIC_PREFIX;
}

/** Returns the metric already registered under `name`, or registers the one `make` builds. */
function getOrCreate<M extends Metric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** `<prefix>leader`: 1 while this process holds the leader Lease. Pass as `leaderGauge`. */
export function createLeaderGauge(registry: Registry): Gauge {
  const name = `${metricPrefix(registry)}leader`;
  return getOrCreate(
    registry,
    name,
    () => new Gauge({ name, help: '1 while this process holds the leader Lease, else 0', registers: [registry] }),
  );
}

/** client-go style work-queue metrics, labelled by `queue`. */
export function createWorkQueueMetrics(registry: Registry, queue: string): WorkQueueMetrics {
  const p = metricPrefix(registry);
  const depth = getOrCreate(registry, `${p}workqueue_depth`, () =>
    new Gauge({ name: `${p}workqueue_depth`, help: 'Keys ready to be processed', labelNames: ['queue'], registers: [registry] }),
  );
  const adds = getOrCreate(registry, `${p}workqueue_adds_total`, () =>
    new Counter({ name: `${p}workqueue_adds_total`, help: 'Keys added', labelNames: ['queue'], registers: [registry] }),
  );
  const retries = getOrCreate(registry, `${p}workqueue_retries_total`, () =>
    new Counter({ name: `${p}workqueue_retries_total`, help: 'Rate-limited re-adds', labelNames: ['queue'], registers: [registry] }),
  );
  const duration = getOrCreate(registry, `${p}workqueue_work_duration_seconds`, () =>
    new Histogram({
      name: `${p}workqueue_work_duration_seconds`,
      help: 'Time a worker spent on one key',
      labelNames: ['queue', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  );
  return {
    depth: (n) => depth.set({ queue }, n),
    added: () => adds.inc({ queue }),
    retried: () => retries.inc({ queue }),
    processed: (seconds, ok) => duration.observe({ queue, result: ok ? 'success' : 'error' }, seconds),
  };
}

export interface InformerMetrics {
  synced(value: boolean): void;
  restarted(): void;
}

/** `<prefix>informer_synced` and `<prefix>informer_restarts_total`, labelled by `resource`. */
export function createInformerMetrics(registry: Registry, resource: string): InformerMetrics {
  const p = metricPrefix(registry);
  const synced = getOrCreate(registry, `${p}informer_synced`, () =>
    new Gauge({ name: `${p}informer_synced`, help: '1 once the informer has listed successfully', labelNames: ['resource'], registers: [registry] }),
  );
  const restarts = getOrCreate(registry, `${p}informer_restarts_total`, () =>
    new Counter({ name: `${p}informer_restarts_total`, help: 'Informer restarts after list/watch errors', labelNames: ['resource'], registers: [registry] }),
  );
  return {
    synced: (v) => synced.set({ resource }, v ? 1 : 0),
    restarted: () => restarts.inc({ resource }),
  };
}
