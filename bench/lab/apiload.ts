// `npm run bench -- --only apiload` (issue 16 §4): the requests the apiserver serves in a quiet
// minute of the 6-node lab, per client. The lab's kube-apiserver runs with an audit policy (level
// Metadata, every request); after the lab has settled the audit events of one quiet window are
// counted by user (the agents share one ServiceAccount, the managers another) and verb. A watch
// counts once, when it starts (its ResponseStarted event); every other request at ResponseComplete.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Lab, sleep } from '../../e2e/src/lab/lab.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import { figure, type BenchOptions, type BenchResult } from '../lib/types.js';
import { r2, say } from './common.js';

const NODES = 6;
const MANAGERS = 2;

/** One audit event as the apiserver writes it (the fields counted here). */
interface AuditEvent {
  stage: string; verb: string; user?: { username?: string }; requestReceivedTimestamp: string;
  objectRef?: { resource?: string; name?: string; subresource?: string }; requestURI: string;
}

export interface RequestCount { user: string; verb: string; resource: string; count: number }

/**
 * The requests received in [from, to): a watch once (at ResponseStarted), any other request once
 * (at ResponseComplete), grouped by user, verb and resource (with subresource).
 */
export function countRequests(lines: string[], from: number, to: number): RequestCount[] {
  const by = new Map<string, RequestCount>();
  for (const line of lines) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as AuditEvent;
    const counted = e.verb === 'watch' ? e.stage === 'ResponseStarted' : e.stage === 'ResponseComplete';
    const t = Date.parse(e.requestReceivedTimestamp);
    if (!counted || t < from || t >= to) continue;
    const user = e.user?.username ?? '?';
    const resource = e.objectRef?.resource ? e.objectRef.resource + (e.objectRef.subresource ? `/${e.objectRef.subresource}` : '') : e.requestURI.split('?')[0]!;
    const key = `${user}\t${e.verb}\t${resource}`;
    const c = by.get(key) ?? { user, verb: e.verb, resource, count: 0 };
    c.count++;
    by.set(key, c);
  }
  return [...by.values()].sort((a, b) => b.count - a.count);
}

const POLICY = ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: ["RequestReceived"]', 'rules:', '  - level: Metadata', ''].join('\n');

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools(LAB_BENCH_TOOLS);
  if (missing) return { name: 'apiload', figures: [], skipped: missing };
  const settleMs = opts.quick ? 30_000 : 60_000;
  const windowMs = opts.quick ? 30_000 : 60_000;
  const dir = mkdtempSync(join(os.tmpdir(), 'se-apiload-'));
  const policyPath = join(dir, 'audit-policy.yaml');
  const logPath = join(dir, 'audit.log');
  writeFileSync(policyPath, POLICY);
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({
      nodes: NODES, managers: MANAGERS,
      apiServerArgs: [`--audit-policy-file=${policyPath}`, `--audit-log-path=${logPath}`, '--audit-log-format=json', '--audit-log-maxsize=0'],
    });
    await lab.processes.waitAgentsHealthy();
    say(`apiload: lab up, settling ${settleMs / 1000} s`);
    await sleep(settleMs);
    const load0 = os.loadavg()[0]!;
    const from = Date.now();
    await sleep(windowMs);
    const to = Date.now();
    const load1 = os.loadavg()[0]!;
    await sleep(2_000); // the audit backend writes in batches
    const counts = countRequests(readFileSync(logPath, 'utf8').split('\n'), from, to);
    const { agentServiceAccount, managerServiceAccount } = lab.processes.creds.manifests;
    return { name: 'apiload', figures: figures(counts, { agentServiceAccount, managerServiceAccount, windowMs, load0, load1 }) };
  } finally {
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Ctx { agentServiceAccount: string; managerServiceAccount: string; windowMs: number; load0: number; load1: number }

function figures(counts: RequestCount[], c: Ctx): ReturnType<typeof figure>[] {
  const s = c.windowMs / 1000;
  const sum = (f: (x: RequestCount) => boolean): number => counts.filter(f).reduce((a, x) => a + x.count, 0);
  const isSA = (sa: string) => (x: RequestCount): boolean => x.user.endsWith(`:${sa}`);
  const total = sum(() => true);
  const agents = sum(isSA(c.agentServiceAccount));
  const managers = sum(isSA(c.managerServiceAccount));
  const details = {
    windowS: s, nodes: NODES, managers: MANAGERS, loadavg1m: [r2(c.load0), r2(c.load1)], cores: os.cpus().length,
    requests: { total, agents, managers, others: total - agents - managers },
    byClient: counts.map((x) => `${x.user.replace(/^system:serviceaccount:/, 'sa:')} ${x.verb} ${x.resource}: ${x.count}`),
  };
  say(`apiload: ${total} requests in ${s} s (agents ${agents}, managers ${managers}); load ${r2(c.load0)} → ${r2(c.load1)}`);
  const totalRate = { name: `all clients, requests/s (${total} in ${s} s)`, value: r2(total / s) };
  return [
    figure({ name: `quiet cluster: requests/s per agent (${NODES} agents, ${s} s)`, unit: 'req/s', value: r2(agents / s / NODES),
      baseline: totalRate, target: '≤ 0.1 req/s', met: agents / s / NODES <= 0.1, details }),
    figure({ name: `quiet cluster: requests/s per manager (${MANAGERS}, leader + standby)`, unit: 'req/s', value: r2(managers / s / MANAGERS),
      baseline: totalRate }),
    figure({ name: 'quiet cluster: requests/s, all clients', unit: 'req/s', value: r2(total / s),
      baseline: { name: 'agents + managers', value: r2((agents + managers) / s) } }),
  ];
}
