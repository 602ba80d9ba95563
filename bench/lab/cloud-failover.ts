// Benchmark: failover gap in cloud mode (issue 13) — the lab as a VPC (`Lab.up({ cloud: true })`):
// the router delivers the egress IP only to the node whose ENI holds it in moto's EC2 API, the LAN
// drops sources not on the sending ENI. Same fault and probe as failover.ts (LAN link cut + agent
// SIGKILL, 5 ms UDP probe); the gap is split into the EC2 writes (the managers' calls as the lab's
// EC2 proxy timed them) and everything else. Baselines: the L2 failover gap p50 of the same run (when
// that section ran) and the gap itself (ratio = the EC2 calls' share).
import { sleep, waitFor, type Lab } from '../../e2e/src/lab/lab.js';
import { outage, sliceRecord, type ProbeRecord } from '../lib/probe-math.js';
import { summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { EIP_FAILOVER, loseHolder, r1, say, type Sizes } from './common.js';

export const CLOUD_GATEWAYS = [2, 3];

interface Trial { fault: number; end: number; oldNode: string; newNode: string }

/** `l2`: the L2 failover gap p50 / p99 of the same run (when that section ran). */
export async function cloudFailover(lab: Lab, s: Sizes, l2: { p50?: number; p99?: number }): Promise<Figure[]> {
  const client = lab.listPods().find((p) => p.name === 'client');
  if (!client || !lab.cloud) throw new Error('cloud lab without its client pod');
  const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
  await sleep(1_500);
  const trials: Trial[] = [];
  for (let k = 0; k < s.failover; k++) trials.push(await loseAndRestore(lab, k, s.failover));
  const rec = await probe.stop() as ProbeRecord;
  const rows = trials.map((t) => {
    const o = outage(sliceRecord(rec, t.fault - 300, t.end), EIP_FAILOVER);
    const calls = lab.cloud!.calls(t.fault).filter((c) => c.end <= t.end);
    const ec2Ms = calls.reduce((n, c) => n + (c.end - c.start), 0);
    const firstCall = calls[0]?.start ?? Number.NaN;
    return { ...t, gap: o?.gap ?? Number.NaN, ec2Ms, calls: calls.map((c) => `${c.action} ${c.end - c.start} ms`),
      untilFirstCallMs: firstCall - t.fault, afterCallsMs: (o?.end ?? Number.NaN) - (calls.at(-1)?.end ?? Number.NaN) };
  });
  const g = summarize(rows.map((x) => x.gap).filter(Number.isFinite));
  const e = summarize(rows.map((x) => x.ec2Ms));
  const callsPerMove = summarize(rows.map((x) => x.calls.length));
  say(`cloud failover gaps: ${rows.map((x) => `${x.gap.toFixed(0)} (EC2 ${x.ec2Ms})`).join(', ')} ms`);
  const details = {
    trials: rows.map((x) => ({ from: x.oldNode, to: x.newNode, gapMs: r1(x.gap), ec2WritesMs: x.ec2Ms, calls: x.calls,
      faultToFirstCallMs: x.untilFirstCallMs, lastCallToTrafficMs: r1(x.afterCallsMs) })),
    fault: 'as failover.ts: LAN link cut + agent SIGKILL; EC2 = moto 5.2.5 on loopback (no real API latency)',
  };
  return [
    figure({ name: `cloud failover gap p50 (${g.n} trials)`, unit: 'ms', value: r1(g.p50),
      baseline: { name: 'L2 failover gap p50 (same run)', value: l2.p50 ?? Number.NaN }, details }),
    figure({ name: `cloud failover gap p99 (${g.n} trials)`, unit: 'ms', value: r1(g.p99), baseline: { name: 'L2 failover gap p99 (same run)', value: l2.p99 ?? Number.NaN } }),
    figure({ name: `cloud failover gap max (${g.n} trials)`, unit: 'ms', value: r1(g.max), baseline: { name: 'cloud failover gap p50', value: r1(g.p50) } }),
    figure({ name: 'cloud failover: EC2 writes per move, p99', unit: 'ms', value: r1(e.p99), baseline: { name: 'cloud failover gap p99 (ratio = share)', value: r1(g.p99) } }),
    figure({ name: 'cloud failover: EC2 writes per move, p50', unit: 'ms', value: r1(e.p50), baseline: { name: 'cloud failover gap p50 (ratio = share)', value: r1(g.p50) } }),
    figure({ name: 'cloud failover: EC2 calls per move', unit: 'calls', value: callsPerMove.max, baseline: { name: 'unassign + assign', value: 2 },
      target: '2 (one unassign, one assign)', met: callsPerMove.min === 2 && callsPerMove.max === 2 }),
  ];
}

/** Gateway loss, then the node restored: its link, then its agent (which drops the stale address). */
async function loseAndRestore(lab: Lab, k: number, n: number): Promise<Trial> {
  const { fault, end, oldNode, newNode, x } = await loseHolder(lab, EIP_FAILOVER, k);
  await lab.restoreNode(x); // the VPC delivers nothing to its stale address: no ENI of its holds it
  lab.startAgent(x);
  await lab.waitAgentsHealthy([x], 60_000);
  await waitFor(`${oldNode} to drop its stale ${EIP_FAILOVER}`, async () =>
    ((await lab.holders()).get(EIP_FAILOVER) ?? []).join() === newNode, 30_000, 250);
  await sleep(3_000); // the manager sees it healthy again (probes) before the next trial
  say(`cloud failover trial ${k + 1}/${n}: ${oldNode} → ${newNode}`);
  return { fault, end, oldNode, newNode };
}
