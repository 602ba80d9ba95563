// The perf-scale profile's churn (issue 16 §4): `perMinute` policies created and as many deleted per
// minute (each lives `lifetimeMs`) for `churnMinutes`, beside a quiet window of the same lab right
// before it. Both windows report each agent's and manager's RSS (max, end) and CPU seconds per
// minute (/proc/PID/stat: the process, and apart the children it ran), and the API requests per
// second by client (the apiserver's audit log, counted as apiload.ts does). During the churn a UDP
// probe from `steadyProbes` pods of steady policies (one per node) says whether their sources stayed
// right. Churn policies live in namespaces without pods: they move addresses only.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ECHO_IP6 } from '../../e2e/src/lab/ipv6.js';
import { sleep, type Lab } from '../../e2e/src/lab/lab.js';
import * as O from '../../e2e/src/lab/objects.js';
import { UdpProbe } from '../lib/lab-helpers.js';
import { APP, NODES, PODS_PER_NODE, churnPolicy, perfIP, type PerfEnv } from '../lib/perf-scale-plan.js';
import { ProcSampler, type ProcFigures } from '../lib/proc-stats.js';
import { summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { countRequests, type RequestCount } from './apiload.js';
import { r1, r2, say } from './common.js';

interface Window { ms: number; procs: Map<string, ProcFigures>; requests: RequestCount[] }
interface ChurnCounts { created: number; deleted: number; errors: string[] }

/** The lab's daemons by name (`agent-<i>`, `manager-<m>`) → pid. */
function daemonPids(lab: Lab): Map<string, number> {
  const pids = new Map<string, number>();
  for (const [i, d] of lab.agents) pids.set(`agent-${i}`, d.pid!);
  for (const [m, d] of lab.managers) pids.set(`manager-${m}`, d.pid!);
  return pids;
}

/**
 * The idle lab's own cost, before any object exists: the cores the agents (with the commands they
 * ran), and the managers use over `ms` — what the 24 daemons take from the 2 shared cores before the
 * profile starts.
 */
export async function idleCost(lab: Lab, ms: number): Promise<Figure[]> {
  const sampler = new ProcSampler(daemonPids(lab));
  sampler.mark();
  await sleep(ms);
  sampler.sample();
  const f = [...sampler.figures().entries()];
  const cores = (prefix: string, k: 'cpuSeconds' | 'childCpuSeconds'): number => r2(f.filter(([n]) => n.startsWith(prefix)).reduce((a, [, v]) => a + v[k], 0) / (ms / 1000));
  const agents = cores('agent-', 'cpuSeconds'), children = cores('agent-', 'childCpuSeconds'), managers = cores('manager-', 'cpuSeconds');
  const rss = f.filter(([n]) => n.startsWith('agent-')).map(([, v]) => v.rssEndMB);
  say(`perf-scale idle: agents ${agents} cores (+ ${children} in their commands), managers ${managers} cores; agent RSS ${r1(Math.min(...rss))}–${r1(Math.max(...rss))} MB`);
  return [figure({
    name: `perf-scale idle lab (no policy, no pod): the ${lab.agents.size} agents' CPU, cores (their commands included)`, unit: 'cores', value: r2(agents + children),
    baseline: { name: 'the machine\'s cores', value: os.cpus().length },
    details: { windowMs: ms, agentsCores: agents, agentCommandsCores: children, managersCores: managers, agentRssMB: { min: r1(Math.min(...rss)), max: r1(Math.max(...rss)) } },
  })];
}

export async function churn(env: PerfEnv): Promise<Figure[]> {
  const { lab, s } = env;
  const sampler = new ProcSampler(daemonPids(lab));
  const quiet = await window(env, sampler, s.quietMs, async () => undefined);
  const steady = env.pods.slice(0, s.steadyProbes);
  // best effort: a pod whose policy's IP is held nowhere gets no reply (fail-closed); the rest is measured all the same
  const started = await Promise.allSettled(steady.map((p) => UdpProbe.start(env.bg, p.netns, join(lab.logDir, `perf-churn-probe-${p.namespace}.json`), { intervalMs: 20, target: ECHO_IP6 })));
  const probes = started.flatMap((r, j) => (r.status === 'fulfilled' ? [{ probe: r.value, ip: perfIP(j) }] : []));
  if (probes.length < steady.length) say(`perf-scale churn: ${steady.length - probes.length} of ${steady.length} steady probes got no first reply`);
  const counts: ChurnCounts = { created: 0, deleted: 0, errors: [] };
  const busy = await window(env, sampler, s.churnMinutes * 60_000, (until) => churnLoop(env, until, counts));
  const recs = await Promise.all(probes.map((p) => p.probe.stop()));
  const wrong = recs.reduce((n, r, j) => n + r.replies.filter(([, , src]) => src !== probes[j]!.ip).length, 0);
  const replies = recs.reduce((n, r) => n + r.replies.length, 0);
  const sent = recs.reduce((n, r) => n + r.sends.length, 0);
  say(`perf-scale churn: ${counts.created} created, ${counts.deleted} deleted, ${counts.errors.length} errors; steady probes ${replies}/${sent} replies, ${wrong} wrong source`);
  return figures(env, quiet, busy, counts, { wrong, replies, sent, pods: probes.length });
}

/** One measured window: `during(until)` runs while the processes are sampled every 5 s. */
async function window(env: PerfEnv, sampler: ProcSampler, ms: number, during: (until: number) => Promise<void>): Promise<Window> {
  sampler.mark();
  const offset = statSync(env.auditLog).size; // the log grows by hundreds of MB: read this window's part only
  const from = Date.now();
  const timer = setInterval(() => sampler.sample(), 5_000);
  try {
    await Promise.all([during(from + ms), sleep(ms)]);
  } finally {
    clearInterval(timer);
  }
  sampler.sample();
  const to = Date.now();
  await sleep(2_000); // the audit backend writes in batches
  return { ms: to - from, procs: sampler.figures(), requests: countRequests(readFrom(env.auditLog, offset).split('\n').filter(whole), from, to) };
}

/** A whole JSON line (the backend may be mid-write at either end of the part read). */
const whole = (l: string): boolean => l.startsWith('{') && l.endsWith('}');

function readFrom(path: string, offset: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(fstatSync(fd).size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Creates policy c at from + c·(60 s / perMinute) and deletes it lifetimeMs later; what is left at the end is deleted too (not counted). */
async function churnLoop(env: PerfEnv, until: number, counts: ChurnCounts): Promise<void> {
  const { kube, s } = env;
  const from = Date.now();
  const every = 60_000 / s.perMinute;
  const live: Promise<void>[] = [];
  const fail = (what: string) => (err: Error): void => { counts.errors.push(`${what}: ${err.message}`.slice(0, 200)); };
  for (let c = 0; from + c * every < until; c++) {
    await sleep(Math.max(0, from + c * every - Date.now()));
    const p = churnPolicy(c, s.policies, NODES * PODS_PER_NODE);
    live.push((async () => {
      await kube.request('POST', O.paths.seips(p.namespace), O.seipObject({ namespace: p.namespace, name: p.name, egressIPs: [p.ip], podSelector: { matchLabels: APP } }))
        .then(() => { counts.created++; }, fail(`create ${p.name}`));
      const at = Date.now() + s.lifetimeMs;
      await sleep(Math.max(0, Math.min(at, until) - Date.now()));
      await kube.delete(O.paths.seip(p.namespace, p.name)).then(() => { if (at <= until) counts.deleted++; }, fail(`delete ${p.name}`));
    })());
  }
  await Promise.all(live);
}

interface Steady { wrong: number; replies: number; sent: number; pods: number }

function procStats(w: Window, prefix: string): { rssMax: number; rssEnd: number; cpuPerMin: number; cpuPerMinMax: number; childCpuPerMin: number } {
  const xs = [...w.procs.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  const min = w.ms / 60_000;
  return {
    rssMax: r1(Math.max(...xs.map((x) => x.rssMaxMB))), rssEnd: r1(Math.max(...xs.map((x) => x.rssEndMB))),
    cpuPerMin: r2(summarize(xs.map((x) => x.cpuSeconds / min)).p50), cpuPerMinMax: r2(Math.max(...xs.map((x) => x.cpuSeconds / min))),
    childCpuPerMin: r2(summarize(xs.map((x) => x.childCpuSeconds / min)).p50),
  };
}

function rates(env: PerfEnv, w: Window): { agent: number; managers: number; total: number; top: string[] } {
  const { agentServiceAccount, managerServiceAccount } = env.lab.processes.creds.manifests;
  const sum = (f: (x: RequestCount) => boolean): number => w.requests.filter(f).reduce((a, x) => a + x.count, 0);
  const s = w.ms / 1000;
  return {
    agent: r2(sum((x) => x.user.endsWith(`:${agentServiceAccount}`)) / s / NODES), managers: r2(sum((x) => x.user.endsWith(`:${managerServiceAccount}`)) / s),
    total: r2(sum(() => true) / s), top: w.requests.slice(0, 25).map((x) => `${x.user.replace(/^system:serviceaccount:/, 'sa:')} ${x.verb} ${x.resource}: ${x.count}`),
  };
}

function figures(env: PerfEnv, quiet: Window, busy: Window, counts: ChurnCounts, st: Steady): Figure[] {
  const min = r1(busy.ms / 60_000);
  const [qa, ba, qm, bm] = [procStats(quiet, 'agent-'), procStats(busy, 'agent-'), procStats(quiet, 'manager-'), procStats(busy, 'manager-')];
  const [qr, br] = [rates(env, quiet), rates(env, busy)];
  const per = (w: Window) => Object.fromEntries([...w.procs.entries()].map(([k, v]) => [k, { rssMaxMB: r1(v.rssMaxMB), rssEndMB: r1(v.rssEndMB), cpuS: r2(v.cpuSeconds), childCpuS: r2(v.childCpuSeconds) }]));
  const details = { churn: { minutes: min, ...counts, errors: counts.errors.slice(0, 10), errorCount: counts.errors.length }, quiet: { agents: qa, managers: qm, api: qr, perProcess: per(quiet) },
    busy: { agents: ba, managers: bm, api: br, perProcess: per(busy) }, steadyProbes: st };
  const what = `${env.s.perMinute} policies created + deleted per minute, ${min} min`;
  return [
    figure({ name: `perf-scale churn (${what}): agent RSS, max of ${NODES}`, unit: 'MB', value: ba.rssMax, baseline: { name: 'same agents, quiet window before', value: qa.rssMax }, details }),
    figure({ name: 'perf-scale churn: agent RSS at the end, max', unit: 'MB', value: ba.rssEnd, baseline: { name: 'same agents, end of the quiet window', value: qa.rssEnd } }),
    figure({ name: 'perf-scale churn: manager RSS, max of both', unit: 'MB', value: bm.rssMax, baseline: { name: 'same managers, quiet window before', value: qm.rssMax } }),
    figure({ name: 'perf-scale churn: manager RSS at the end, max', unit: 'MB', value: bm.rssEnd, baseline: { name: 'same managers, end of the quiet window', value: qm.rssEnd } }),
    figure({ name: 'perf-scale churn: agent CPU s per minute (median agent; children apart in details)', unit: 's/min', value: ba.cpuPerMin, baseline: { name: 'quiet window', value: qa.cpuPerMin } }),
    figure({ name: 'perf-scale churn: agent CPU s per minute, busiest agent', unit: 's/min', value: ba.cpuPerMinMax, baseline: { name: 'quiet window, busiest', value: qa.cpuPerMinMax } }),
    figure({ name: 'perf-scale churn: manager CPU s per minute, busier manager (the leader)', unit: 's/min', value: bm.cpuPerMinMax, baseline: { name: 'quiet window', value: qm.cpuPerMinMax } }),
    figure({ name: 'perf-scale churn: API requests/s per agent', unit: 'req/s', value: br.agent, baseline: { name: 'quiet window', value: qr.agent } }),
    figure({ name: 'perf-scale churn: API requests/s, both managers', unit: 'req/s', value: br.managers, baseline: { name: 'quiet window', value: qr.managers } }),
    figure({ name: 'perf-scale churn: API requests/s, all clients (the bench\'s own creates and deletes included)', unit: 'req/s', value: br.total, baseline: { name: 'quiet window', value: qr.total } }),
    figure({ name: `perf-scale churn: steady policies' probe replies with a wrong source (${st.pods} pods)`, unit: 'replies', value: st.wrong,
      baseline: { name: `replies (of ${st.sent} sent)`, value: st.replies }, target: '0', met: st.wrong === 0 && st.replies > 0 && st.pods === env.s.steadyProbes }),
  ];
}
