export * from './clock.js';
export * from './logger.js';
export * from './work-queue.js';
export * from './informer.js';
export * from './metrics.js';
export * from './health.js';
export * from './kubeconfig.js';
export * from './leader-election.js';
