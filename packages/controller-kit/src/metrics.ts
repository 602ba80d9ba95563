import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

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
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix });
    // Gauges named *_total fail `promtool check metrics`; the per-type gauges without the suffix stay.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(`${prefix}${n}`);
  }
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
