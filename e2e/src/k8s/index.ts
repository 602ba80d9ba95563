export { startCluster, freePorts } from './cluster.js';
export type { Cluster, ClusterOptions, KubectlOptions, KubectlResult, ServiceAccountKubeconfigOptions } from './cluster.js';
export { useCluster } from './mocha.js';
export type { ClusterHandle } from './mocha.js';
export { resolveK8sBinaries, REPO_ROOT } from './binaries.js';
export type { K8sBinaries } from './binaries.js';
export { sweepStaleClusters } from './stale.js';
