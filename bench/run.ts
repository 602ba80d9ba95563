// `npm run bench [-- --quick] [--only name,...]`: runs every benchmark, writes
// bench/results/<date>.json and <date>.md. Figures are ratios to baselines measured in the same run;
// timings are never pass/fail here (the machines are shared and noisy).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import type { BenchOptions, BenchResult } from './lib/types.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'soak-minutes': { type: 'string' }, 'agent-args': { type: 'string' }, 'manager-args': { type: 'string' } } });
const only = values.only?.split(',');
const resultsDir = join(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const opts: BenchOptions = { quick: values.quick ?? false, resultsDir };
if (values['soak-minutes'] !== undefined) {
  const m = Number(values['soak-minutes']);
  if (!(m > 0 && m <= 600)) throw new Error(`--soak-minutes: want minutes in (0, 600], got ${JSON.stringify(values['soak-minutes'])}`);
  opts.soakMinutes = m;
}

// e.g. --agent-args '--lease=80ms --lease-late-tolerance=25ms': extra node-agent flags for the lab benches that take them
if (values['agent-args'] !== undefined) opts.agentArgs = values['agent-args'].split(/\s+/).filter(Boolean);
// e.g. --manager-args '--probe-timeout=30ms --probe-failure-threshold=3': extra gateway-manager flags, likewise
if (values['manager-args'] !== undefined) opts.managerArgs = values['manager-args'].split(/\s+/).filter(Boolean);

const benches: Record<string, () => Promise<{ run(o: BenchOptions): Promise<BenchResult> }>> = {
  'manager-assign': () => import('./manager-assign.js'),
  'agent-programming': () => import('./agent-programming.js'),
  'agent-per-destination': () => import('./agent-per-destination.js'), // issue 9: full apply with per-destination policies and zones beside the existing shape
  'lease-session': () => import('./lease-session.js'), // issue 16 §1: a kernel-lease batch over the long-lived nft -i, beside one nft process per batch
  'audit-log': () => import('./audit-log.js'), // issue 10 §5: events/s through the audit pipeline
  'kernel-damage': () => import('./kernel-damage.js'), // issue 12: exposure per damage type, wrong-source packets
  'lab': () => import('./lab/index.js'), // failover, data path (direct + vxlan), policy created, pod created
  'lab-ipv6': () => import('./lab/dual-stack.js'), // issue 11 §5: IPv6 beside IPv4 in a dual-stack lab — data path of each family vs hand-written, failover gap of each family
  'soak': () => import('./lab/soak.js'), // issue 16 §1, §2: no false alarms under CPU load + netem; failover idle vs loaded
  'failover': () => import('./lab/failover-modes.js'), // issue 16 §1: node-loss failover in both modes (direct and VXLAN labs), 50 trials each, beside the hand move of each mode
  'planned': () => import('./lab/planned-run.js'), // issue 16 §3: planned moves beside the node-loss failover, own lab (also a section of 'lab')
  'apiload': () => import('./lab/apiload.js'), // issue 16 §4: requests/s per agent and manager in a quiet minute of the 6-node lab (audit log)
  'agent-cache-rss': () => import('./agent-cache-rss.js'), // issue 16 §4: an agent's caches at 100,000 kubelet-shaped pods and 5,000 Nodes: full, slim, node-scoped (no apiserver, no kernel)
  'manager-pass-scale': () => import('./manager-pass-scale.js'), // issue 16 §4: the manager's full pass over 100,000 pods, 5,000 Nodes, 10,000 policies (in process)
  'scale': () => import('./lab/scale.js'), // issue 16 §4: agent and manager at 5,000 nodes and many pods and policies in the real apiserver
  'perf-scale': () => import('./lab/perf-scale.js'), // issue 16 §4: the OpenShift perf-scale profile — 24-node IPv6-only lab, 2,400 egress IPs, 10 pods per node: convergence, one gateway lost, 10 minutes of churn
};

const results: BenchResult[] = [];
for (const [name, load] of Object.entries(benches)) {
  if (only && !only.includes(name)) continue;
  console.error(`[bench] ${name} ...`);
  try {
    results.push(await (await load()).run(opts));
  } catch (err) {
    console.error(`[bench] ${name} failed:`, err);
    results.push({ name, figures: [], skipped: `failed: ${(err as Error).message}` });
  }
}

const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
const doc = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version },
  quick: opts.quick,
  results,
};
const jsonPath = join(resultsDir, `${stamp}.json`);
writeFileSync(jsonPath, JSON.stringify(doc, null, 2) + '\n');
writeFileSync(join(resultsDir, `${stamp}.md`), renderMarkdown(doc));
console.log(renderMarkdown(doc));
console.log(`wrote ${jsonPath}`);

function renderMarkdown(d: typeof doc): string {
  const rows = d.results.flatMap((r) =>
    r.skipped ? [`| ${r.name} | not run: ${r.skipped} | | | | |`]
      : r.figures.map((f) => `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit} | ${f.ratio} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'met' : 'missed'} |`));
  return [`# Benchmark results ${d.date}`, '', `Command: \`${d.command}\` — ${d.machine.cpus} × ${d.machine.model}, ${d.machine.memGiB} GiB, kernel ${d.machine.kernel}, Node ${d.machine.node}`, '',
    '| figure | value | baseline (same run) | ratio | target | |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}
function fmt(v: number): string { return Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v); }
