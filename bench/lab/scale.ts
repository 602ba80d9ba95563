// `npm run bench -- --only scale` (issue 16 §4): the agents' and the manager's cost in a large
// cluster. A small lab (2 node namespaces with real agents, one real manager) gets 5,000 more Node
// objects, many pods bound to them and 10,000 policies, all created through its real apiserver in
// parallel. Figures: agent and manager RSS beside the same processes before the objects existed, the
// bytes an agent receives when one pod on another node changes (beside the same window without a
// change), and the manager's pass time for one change. Pods default to 25,000 (quick: 10,000;
// SE_SCALE_PODS overrides): 100,000 on this 2-core machine takes longer than a bench run should, so
// the figures say how they grow and the notes extrapolate.
//
// The daemons run as shipped: bundled with esbuild (scripts/bundle.mjs's settings) and started with
// the node flags of the DaemonSet's and the Deployment's `command` (the agent's --max-semi-space-size=2);
// the 256 Mi / 384 Mi memory limits are not applied (no cgroup in the lab). SE_SCALE_TSX=1 runs them
// under tsx as before. The manager's log is kept beside the results (<stamp>-scale-manager.log.gz).
//
// Addresses: the 8 policies the lab can hold (one gateway, the standard pool's 8 per node) use its
// pool (192.0.2.100–107) and select pods with 203.0.113.160–167; every other pod and policy is IPv6 (2001:db8::/32, documentation) in a pool no
// node qualifies for, so the lab's IPv4 nodes never program them and nothing is probed.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { KubeClient } from '../../e2e/src/lab/kube.js';
import { Lab, sleep, waitFor } from '../../e2e/src/lab/lab.js';
import * as O from '../../e2e/src/lab/objects.js';
import { ADMITTED_LABEL, applyStandardPool } from '../../e2e/src/scenario.js';
import { run as runIn } from '../lib/lab-helpers.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import { figure, type BenchOptions, type BenchResult, type Figure } from '../lib/types.js';
import { r1, r2, say } from './common.js';

export interface ScaleSizes { nodes: number; pods: number; policies: number; namespaces: number; held: number }

const hex = (k: number): string => k.toString(16);
const fakeNode = (k: number): string => `scale-${k}`;
const ns = (k: number): string => `scale-${k}`;

/** Runs `tasks` with at most `width` in flight; resolves the elapsed ms. */
export async function inParallel(count: number, width: number, task: (k: number) => Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await task(next++);
  }));
  return Date.now() - t0;
}

/** Largest VmRSS (MiB) of `pid` and its descendants (the daemon runs under `ip netns exec`, which execs). */
export function rssMB(pid: number): number {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch { /* gone */ }
  }
  let best = 0;
  const visit = (p: number): void => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      best = Math.max(best, m ? Number(m[1]) / 1024 : 0);
    } catch { /* gone */ }
    for (const c of kids.get(p) ?? []) visit(c);
  };
  visit(pid);
  return best;
}

/** Bytes the process `pid` has received on its TCP connections in netns `netns` (ss's bytes_received). */
export async function bytesReceived(netns: string, pid: number): Promise<number> {
  const r = await runIn(netns, 'ss', ['-tinpH']);
  let sum = 0;
  const lines = r.out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes(`pid=${pid},`)) continue;
    const m = /bytes_received:(\d+)/.exec(lines[i + 1] ?? '') ?? /bytes_received:(\d+)/.exec(lines[i]!);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

async function createObjects(kube: KubeClient, s: ScaleSizes): Promise<Record<string, number>> {
  const ms: Record<string, number> = {};
  ms.nodes = await inParallel(s.nodes, 24, async (k) => {
    await kube.request('POST', O.paths.nodes, O.nodeObject(fakeNode(k), '', false));
    await kube.request('PATCH', O.paths.nodeStatus(fakeNode(k)), O.nodeStatus(fakeNode(k), `2001:db8:5::${hex(k + 1)}`), 'application/merge-patch+json');
  });
  say(`scale: ${s.nodes} nodes in ${ms.nodes} ms`);
  ms.pods = await inParallel(s.pods, 24, async (k) => {
    const app = `app-${k % s.policies}`;
    const name = `p-${k}`;
    const namespace = ns(k % s.namespaces);
    const ip = k < s.held ? `203.0.113.${160 + k}` : `2001:db8:a::${hex(k + 1)}`;
    await kube.request('POST', O.paths.pods(namespace), O.podObject({ namespace, name, nodeName: fakeNode(k % s.nodes), labels: { app } }));
    await kube.request('PATCH', O.paths.podStatus(namespace, name), O.podStatus(ip, '2001:db8:5::1'), 'application/merge-patch+json');
  });
  say(`scale: ${s.pods} pods in ${ms.pods} ms`);
  ms.policies = await inParallel(s.policies, 24, async (k) => {
    const namespace = ns(k % s.namespaces);
    const egressIPs = [k < s.held ? `192.0.2.${100 + k}` : `2001:db8:e::${hex(k + 1)}`];
    await kube.request('POST', O.paths.seips(namespace), O.seipObject({ namespace, name: `pol-${k}`, egressIPs, podSelector: { matchLabels: { app: `app-${k}` } } }));
  });
  say(`scale: ${s.policies} policies in ${ms.policies} ms`);
  return ms;
}

const REPO = join(import.meta.dirname, '..', '..');

/** The node flags of a manifest's `command: [node, ...flags, /app/dist/x.js]`. */
export function shippedNodeFlags(manifest: string): string[] {
  const m = /command:\s*\[node,([^\]]*)\]/.exec(readFileSync(join(REPO, manifest), 'utf8'));
  if (!m) throw new Error(`${manifest}: no \`command: [node, ...]\` line`);
  return m[1]!.split(',').map((x) => x.trim()).filter((x) => x.startsWith('--'));
}

/** The daemons bundled as scripts/bundle.mjs does, under node_modules/ (so their external dependencies resolve). */
export async function bundleDaemons(): Promise<{ agentCommand: string[]; managerCommand: string[] }> {
  const { build } = await import('esbuild');
  const { dependencies } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const out = join(REPO, 'node_modules', '.cache', 'static-egress-bench-dist');
  mkdirSync(out, { recursive: true });
  for (const [name, entry] of [['node-agent', 'packages/node-agent/src/main.ts'], ['gateway-manager', 'packages/gateway-manager/src/main.ts']] as const) {
    await build({ entryPoints: [join(REPO, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      external: Object.keys(dependencies), outfile: join(out, `${name}.js`), logLevel: 'warning' });
  }
  // SE_SCALE_AGENT_NODE_FLAGS: extra node flags for the agents (an experiment beside the shipped ones, e.g. --optimize-for-size)
  const extra = (process.env.SE_SCALE_AGENT_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f.startsWith('--'));
  return {
    agentCommand: [process.execPath, ...shippedNodeFlags('manifests/agent/daemonset.yaml'), ...extra, join(out, 'node-agent.js')],
    managerCommand: [process.execPath, ...shippedNodeFlags('manifests/manager/deployment.yaml'), join(out, 'gateway-manager.js')],
  };
}

/** The manager's log, gzipped beside the results; its count of lost leaderships. */
function keepManagerLog(lab: Lab, resultsDir: string, artifacts: string[]): { leaderLosses: number; file: string } {
  const text = readFileSync(join(lab.logDir, 'manager-1.log'), 'utf8');
  const file = `${new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}-scale-manager.log.gz`;
  writeFileSync(join(resultsDir, file), gzipSync(text));
  artifacts.push(file);
  return { leaderLosses: text.split('\n').filter((l) => l.includes('"stopped leading"')).length, file };
}

interface Sample { agentDirector: number; agentGateway: number; manager: number; load: number; memory?: Record<string, ProcessMemory> }

/** Where a daemon's RSS goes, from its own /metrics (prom-client's process and V8 figures, MB), and its passes and CPU so far. */
export interface ProcessMemory { rss: number; heapUsed: number; heapTotal: number; oldUsed: number; oldTotal: number; largeObject: number; external: number; cpuS: number; syncs: number }

/** Parses prom-client's default metrics (prefix static_egress_) and a sync_duration_seconds count. */
export function parseProcessMemory(text: string): ProcessMemory {
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
  const mb = (re: RegExp): number => r1(num(re) / 2 ** 20);
  return {
    rss: mb(/^static_egress_process_resident_memory_bytes ([\d.e+]+)/m),
    heapUsed: mb(/^static_egress_nodejs_heap_size_used_bytes ([\d.e+]+)/m),
    heapTotal: mb(/^static_egress_nodejs_heap_size_total_bytes ([\d.e+]+)/m),
    oldUsed: mb(/^static_egress_nodejs_heap_space_size_used_bytes\{space="old"\} ([\d.e+]+)/m),
    oldTotal: mb(/^static_egress_nodejs_heap_space_size_total_bytes\{space="old"\} ([\d.e+]+)/m),
    largeObject: mb(/^static_egress_nodejs_heap_space_size_used_bytes\{space="large_object"\} ([\d.e+]+)/m),
    external: mb(/^static_egress_nodejs_external_memory_bytes ([\d.e+]+)/m),
    cpuS: r1(num(/^static_egress_process_cpu_seconds_total ([\d.e+]+)/m)),
    syncs: num(/^static_egress_\w*sync_duration_seconds_count(?:\{[^}]*\})? (\d+)/m),
  };
}

async function memoryOf(lab: Lab): Promise<Record<string, ProcessMemory>> {
  const get = async (netns: string, port: number): Promise<ProcessMemory> =>
    parseProcessMemory((await runIn(netns, 'curl', ['-s', '--max-time', '10', `http://127.0.0.1:${port}/metrics`])).out);
  return { director: await get(lab.names.nodeNs(1), 9310), gateway: await get(lab.names.nodeNs(2), 9310), manager: await get(lab.names.managerNs(1), 9320) };
}

async function sample(lab: Lab): Promise<Sample> {
  return {
    agentDirector: r1(rssMB(lab.processes.agents.get(1)!.pid!)), agentGateway: r1(rssMB(lab.processes.agents.get(2)!.pid!)),
    manager: r1(rssMB(lab.processes.managers.get(1)!.pid!)), load: r2(os.loadavg()[0]!), memory: await memoryOf(lab).catch(() => undefined),
  };
}

/** The manager's sync_duration_seconds sum and count. */
async function passTotals(lab: Lab): Promise<{ sum: number; count: number }> {
  const r = await runIn(lab.names.managerNs(1), 'curl', ['-s', 'http://127.0.0.1:9320/metrics']);
  const num = (re: RegExp): number => Number(re.exec(r.out)?.[1] ?? Number.NaN);
  return {
    sum: num(/_sync_duration_seconds_sum\{result="success"\} ([\d.e+-]+)/),
    count: num(/_sync_duration_seconds_count\{result="success"\} (\d+)/),
  };
}

/** Bytes agent `i` receives in `ms`, with `during` done at its start. */
async function bytesIn(lab: Lab, i: number, ms: number, during: () => Promise<void>): Promise<number> {
  const netns = lab.names.nodeNs(i);
  const pid = lab.processes.agents.get(i)!.pid!;
  const b0 = await bytesReceived(netns, pid);
  await during();
  await sleep(ms);
  return (await bytesReceived(netns, pid)) - b0;
}

export function sizesOf(opts: BenchOptions): ScaleSizes {
  const env = process.env.SE_SCALE_PODS;
  const pods = env ? Number(env) : opts.quick ? 10_000 : 25_000;
  if (!(Number.isInteger(pods) && pods >= 20 && pods <= 200_000)) throw new Error(`SE_SCALE_PODS: want a pod count in [20, 200000], got ${env}`);
  return { nodes: 5_000, pods, policies: 10_000, namespaces: 50, held: 8 }; // 8: the standard pool's maxIPsPerNode on node-2
}

async function populate(lab: Lab, s: ScaleSizes): Promise<Record<string, number>> {
  await applyStandardPool(lab);
  await lab.applyPool({ name: 'scale', cidrs: [{ cidr: '2001:db8:e::/112' }], namespaceSelector: { matchLabels: ADMITTED_LABEL },
    nodeSelector: { matchLabels: { 'bench.static-egress/none': 'x' } } });
  for (let k = 0; k < s.namespaces; k++) await lab.ensureNamespace(ns(k), ADMITTED_LABEL);
  const kube = new KubeClient(lab.cluster.adminKubeconfigPath);
  try {
    return await createObjects(kube, s);
  } finally {
    kube.close();
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools(LAB_BENCH_TOOLS);
  if (missing) return { name: 'scale', figures: [], skipped: missing };
  const s = sizesOf(opts);
  let lab: Lab | undefined;
  const artifacts: string[] = [];
  try {
    const shipped = process.env.SE_SCALE_TSX === '1' ? {} : await bundleDaemons();
    lab = await Lab.up({ nodes: 2, managers: 1, gatewayNodes: [2], prefix: `selb${Math.random().toString(36).slice(2, 5).padEnd(3, '0')}`, ...shipped });
    await lab.processes.waitAgentsHealthy();
    await sleep(5_000);
    const before = await sample(lab);
    say(`scale: before ${JSON.stringify(before)}`);
    const createMs = await populate(lab, s);
    const l = lab;
    // settled: the lab's policies are held by node-2 (the others have no node to go to). A manager that
    // cannot keep up (its lease lost while a pass blocks its loop) may never get there: measure anyway
    // after 3 minutes and say so.
    const t0 = Date.now();
    const settled = await waitFor('the lab policies assigned', async () => (await l.holders()).size >= s.held || undefined, 180_000, 250)
      .then(() => true, () => false);
    createMs.settled = settled ? 1 : 0;
    createMs.settleMs = settled ? Date.now() - t0 : Number.NaN;
    say(`scale: ${settled ? `settled ${createMs.settleMs} ms after the last object` : 'NOT settled in 3 minutes'}`);
    const settledSample = await sample(lab); // right after settling, then after a quiet 30 s: garbage or caches
    say(`scale: settled ${JSON.stringify(settledSample)}`);
    await sleep(30_000);
    const after = await sample(lab);
    say(`scale: after ${JSON.stringify(after)}`);
    const figures = await measure(lab, s, before, after, createMs);
    figures[0]!.details = { ...figures[0]!.details, settledSample };
    const log = keepManagerLog(lab, opts.resultsDir, artifacts);
    say(`scale: manager log ${log.file}, ${log.leaderLosses} lost leaderships`);
    figures[0]!.details = { ...figures[0]!.details, managerLog: log.file, leaderLosses: log.leaderLosses, daemons: process.env.SE_SCALE_TSX === '1' ? 'tsx' : `bundled, shipped node flags${process.env.SE_SCALE_AGENT_NODE_FLAGS ? ` + agents ${process.env.SE_SCALE_AGENT_NODE_FLAGS}` : ''}` };
    return { name: 'scale', figures, artifacts };
  } finally {
    await lab?.down();
  }
}

async function measure(lab: Lab, s: ScaleSizes, before: Sample, after: Sample, createMs: Record<string, number>): Promise<Figure[]> {
  const kube = new KubeClient(lab.cluster.adminKubeconfigPath);
  try {
    // one pod on another node (not selected by any policy a lab node holds) changes a label
    const far = s.held + 7;
    const touch = (v: string) => async (): Promise<void> => {
      await kube.request('PATCH', O.paths.pod(ns(far % s.namespaces), `p-${far}`), { metadata: { labels: { touched: v } } }, 'application/merge-patch+json');
    };
    const quiet = [await bytesIn(lab, 1, 5_000, async () => undefined), await bytesIn(lab, 2, 5_000, async () => undefined)];
    const changed = [await bytesIn(lab, 1, 5_000, touch('1')), await bytesIn(lab, 2, 5_000, touch('2'))];
    // one pass for one change: a policy the manager must write status for
    const p0 = await passTotals(lab);
    const t0 = Date.now();
    await kube.request('PATCH', O.paths.seip(ns(3 % s.namespaces), 'pol-3'), { spec: { egressIPs: ['192.0.2.123'] } }, 'application/merge-patch+json');
    // the change end to end: the status naming a holder of the new IP (what the agents program from)
    const statusMs = await waitFor('pol-3 holding 192.0.2.123', async () => {
      const p = await kube.request('GET', O.paths.seip(ns(3 % s.namespaces), 'pol-3')) as { status?: { assignments?: { egressIP: string }[] } };
      return p.status?.assignments?.some((a) => a.egressIP === '192.0.2.123') ? Date.now() - t0 : undefined;
    }, 30_000, 20).catch(() => Number.NaN);
    await sleep(Math.max(0, 10_000 - (Date.now() - t0)));
    const p1 = await passTotals(lab);
    const passMs = p1.count > p0.count ? ((p1.sum - p0.sum) / (p1.count - p0.count)) * 1000 : Number.NaN;
    return figures(s, before, after, createMs, { quiet, changed, passMs, passes: p1.count - p0.count, statusMs });
  } finally {
    kube.close();
  }
}

interface Traffic { quiet: number[]; changed: number[]; passMs: number; passes: number; statusMs: number }

function figures(s: ScaleSizes, before: Sample, after: Sample, createMs: Record<string, number>, t: Traffic): Figure[] {
  const details = { sizes: s, createMs, before, after, bytes5s: { quiet: t.quiet, onePodChanged: t.changed }, passes: t.passes, cores: os.cpus().length,
    note: 'before: the same processes before the objects existed (the same-run floor); memory: each daemon\'s own /metrics (MB; V8 heap, old space, external, CPU s, syncs)' };
  const extra = (i: number): number => Math.max(0, t.changed[i]! - t.quiet[i]!);
  return [
    figure({ name: `agent RSS, director only (node-1), ${s.pods} pods / ${s.nodes} nodes / ${s.policies} policies`, unit: 'MB', value: after.agentDirector,
      baseline: { name: 'same agent before the objects', value: before.agentDirector }, target: '≤ 100 MB', met: after.agentDirector <= 100, details }),
    figure({ name: `agent RSS, gateway of ${s.held} policies (node-2)`, unit: 'MB', value: after.agentGateway,
      baseline: { name: 'same agent before the objects', value: before.agentGateway }, target: '≤ 100 MB', met: after.agentGateway <= 100 }),
    figure({ name: 'bytes an agent receives for one pod change on another node (node-1, 5 s, minus a quiet 5 s)', unit: 'B', value: extra(0),
      baseline: { name: 'quiet 5 s', value: t.quiet[0]! }, target: '≈ 0', met: extra(0) < 200 }),
    figure({ name: 'bytes an agent receives for one pod change on another node (node-2, gateway)', unit: 'B', value: extra(1),
      baseline: { name: 'quiet 5 s', value: t.quiet[1]! }, target: '≈ 0', met: extra(1) < 200 }),
    figure({ name: 'manager RSS', unit: 'MB', value: after.manager, baseline: { name: 'same manager before the objects', value: before.manager },
      target: '≤ 1 GB', met: after.manager <= 1024 }),
    figure({ name: 'manager pass for one policy change (sync_duration_seconds, mean)', unit: 'ms', value: r1(t.passMs),
      baseline: { name: `creating ${s.policies} policies (ms)`, value: createMs.policies! }, target: '≤ 1 s', met: t.passMs <= 1000 }),
    figure({ name: 'one policy change → its status names the new egress IP\'s holder (PATCH to GET, 20 ms polls)', unit: 'ms', value: t.statusMs,
      baseline: { name: 'manager pass (mean)', value: r1(t.passMs) }, target: '≤ 1 s', met: t.statusMs <= 1000 }),
    figure({ name: 'lab settled: its 8 policies held, after the last object was created', unit: 'ms', value: createMs.settleMs!,
      baseline: { name: `creating ${s.policies} policies (ms)`, value: createMs.policies! }, target: 'seconds', met: createMs.settled === 1 }),
  ];
}
