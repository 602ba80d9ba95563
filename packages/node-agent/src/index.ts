// Public surface of the node agent for the lab, benchmarks and tools.
export { computeNodeState, slotsOf } from './desired/compute.js';
export type * from './desired/types.js';
export { renderState } from './render/state.js';
export { renderIptablesRestore } from './plan/iptables.js';
export { renderIpsetRestore } from './plan/ipset.js';
export type * from './render/types.js';
export { NodeSyncer } from './reconcile/syncer.js';
export { createLinuxKernel } from './kernel/linux.js';
export { createFakeKernel } from './kernel/fake.js';
export { parseAgentConfig } from './config.js';
export { computeAgentInputs } from './agent/inputs.js';
