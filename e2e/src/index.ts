// The lab as a library (for suites, the demo and benchmarks): `Lab.up()`, pods, probes, the echo
// server's record, and the kernel/topology helpers underneath.
export { Lab, Probe, sleep, waitFor } from './lab/lab.js';
export type { LabOptions, LabPod, SeipView } from './lab/lab.js';
export * as addressing from './lab/addressing.js';
export * as objects from './lab/objects.js';
export { analyzeProbe, formatProbeReport } from './lab/probe-analysis.js';
export type { ProbeRecord, ProbeReport } from './lab/probe-analysis.js';
export { readEchoLog, summarizeEchoLog, sourcesSeen } from './lab/echo-log.js';
export type { EchoEntry } from './lab/echo-log.js';
export { readNodeKernel, residue } from './lab/inspect.js';
export { renderStatus } from './lab/status.js';
export { downAll, downRun } from './lab/cleanup.js';
