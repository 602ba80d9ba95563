// Mocha glue: one cluster per describe block, started in `before`, stopped in `after`; logs are
// kept (and their paths printed) when a test in the block failed.
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js';

export interface ClusterHandle {
  /** The running cluster; throws when read outside the block's tests/hooks. */
  readonly cluster: Cluster;
}

export function useCluster(opts: ClusterOptions & { startTimeoutMs?: number } = {}): ClusterHandle {
  let current: Cluster | undefined;
  let failed = false;
  before(async function () {
    this.timeout(opts.startTimeoutMs ?? 300_000);
    current = await startCluster(opts);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(60_000);
    const c = current;
    current = undefined;
    if (!c) return;
    await c.stop({ keepLogs: failed });
    if (failed) console.error(`[k8s] a test failed; apiserver log: ${c.logs.apiServer}, etcd log: ${c.logs.etcd}`);
  });
  return {
    get cluster(): Cluster {
      if (!current) throw new Error('useCluster: cluster not running (use it inside tests and hooks)');
      return current;
    },
  };
}
