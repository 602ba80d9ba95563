// Benchmark 1: failover gap under a 5 ms UDP probe when the gateway node is lost (LAN link cut +
// agent SIGKILL), split into detection, assignment, programming and the rest from the daemons' logs;
// baseline: the same address moved by hand with one GARP. Writes the median trial's timeline SVG.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, waitFor, type Lab } from '../../e2e/src/lab/lab.js';
import { failoverMarks, splitPhases, type LogEntry, type PhaseSplit } from '../lib/daemon-logs.js';
import { UdpProbe, type Background } from '../lib/lab-helpers.js';
import { outage, sendInterval, sliceRecord, toTimeline, type ProbeRecord } from '../lib/probe-math.js';
import { summarize } from '../lib/stats.js';
import { renderTimelineSvg } from '../lib/svg.js';
import { figure, type Figure } from '../lib/types.js';
import { EIP_FAILOVER, GATEWAYS, HAND_IP, agentLog, loseHolder, managerLog, mapValues, must, r1, say, type Env, type Sizes } from './common.js';

interface FailoverTrial { fault: number; end: number; oldNode: string; newNode: string }
type TrialRow = ReturnType<typeof analyzeTrial>;

/** Moves HAND_IP by hand from gateway node `from` to `to` (VXLAN mode: the director's route too); default: the address and one GARP. */
export type HandMover = (from: number, to: number) => Promise<void>;

export async function failover(lab: Lab, env: Env, bg: Background, s: Sizes, resultsDir: string, artifacts: string[], moveHand?: HandMover): Promise<Figure[]> {
  const hand = await handMoves(lab, env, bg, s, moveHand);
  const { trials, rec } = await gatewayLossTrials(lab, env, s);
  const mgr = managerLog(lab);
  const rows = trials.map((t) => analyzeTrial(lab, rec, mgr, t));
  const gaps = rows.map((x) => x.gap);
  const g = summarize(gaps.filter(Number.isFinite));
  const hb = summarize(hand.gaps.filter(Number.isFinite));
  const phaseNames: (keyof PhaseSplit)[] = ['detection', 'assignment', 'programming', 'rest'];
  const withPhases = rows.filter((x) => x.phases);
  const phaseStats = Object.fromEntries(phaseNames.map((p) => {
    const v = withPhases.map((x) => x.phases![p]);
    const st = summarize(v);
    return [p, { p50: r1(st.p50), p99: r1(st.p99), max: r1(st.max) }];
  }));
  say(`failover gaps: ${gaps.map((x) => x.toFixed(0)).join(', ')} ms; phases p50 ${JSON.stringify(phaseStats)}`);
  writeMedianTimeline(rows, rec, resultsDir, artifacts);
  const details = {
    trials: rows.map((x) => ({ from: x.oldNode, to: x.newNode, gapMs: r1(x.gap), phases: x.phases && mapValues(x.phases, r1), wrongSourceReplies: x.wrong })),
    phases: phaseStats,
    handMoveGapsMs: hand.gaps.map(r1),
    probeIntervalMs: r1(hand.interval),
    wrongSourceReplies: rows.reduce((n, x) => n + x.wrong, 0),
    fault: 'LAN link of the gateway node cut (bridge port down) + its agent SIGKILLed; defaults (probe every 20 ms, timeout 50 ms, 4 misses of the kernel; agent --lease and --lease-late-tolerance as run)',
  };
  const out: Figure[] = [
    figure({ name: `failover gap p50 (${g.n} trials)`, unit: 'ms', value: r1(g.p50), baseline: { name: 'address moved by hand + GARP, p50', value: r1(hb.p50) }, details }),
    figure({ name: `failover gap p99 (${g.n} trials)`, unit: 'ms', value: r1(g.p99), baseline: { name: 'address moved by hand + GARP, p99', value: r1(hb.p99) },
      target: '≤ 200 ms (issue 16)', met: g.n === s.failover && g.p99 <= 200 }),
    figure({ name: `failover gap max (${g.n} trials)`, unit: 'ms', value: r1(g.max), baseline: { name: 'address moved by hand + GARP, max', value: r1(hb.max) } }),
  ];
  for (const p of phaseNames) {
    out.push(figure({ name: `failover phase: ${p}, p50`, unit: 'ms', value: phaseStats[p]!.p50, baseline: { name: 'failover gap p50 (ratio = share)', value: r1(g.p50) } }));
  }
  return out;
}

/**
 * Baseline: the address moved by hand (ip addr del on A; ip addr add + arping -U on B) under the
 * same kind of probe — what the kernel, the LAN and one GARP need, with no detection and no API.
 */
async function handMoves(lab: Lab, env: Env, bg: Background, s: Sizes, moveHand?: HandMover): Promise<{ gaps: number[]; interval: number }> {
  const handProbe = await UdpProbe.start(bg, env.hand.netns, join(lab.logDir, 'bench-hand-move.json'));
  await sleep(1_000);
  const moves: number[] = [];
  let cur = env.handGateway;
  for (let k = 0; k < s.handMoves; k++) {
    const next = GATEWAYS.filter((g) => g !== cur)[k % 2]!;
    const t = Date.now();
    await (moveHand ?? moveAddress(lab))(cur, next);
    moves.push(t);
    cur = next;
    await sleep(1_500);
  }
  const handRec = await handProbe.stop();
  const handGaps = moves.map((t) => outage(sliceRecord(handRec, t - 300, t + 1_400), HAND_IP)?.gap ?? Number.NaN);
  const interval = sendInterval(handRec);
  say(`hand moves: gaps ${handGaps.map((g) => g.toFixed(0)).join(', ')} ms; probe interval ${interval.toFixed(2)} ms`);
  return { gaps: handGaps, interval };
}

/** The direct-mode hand move: the address deleted on one node, added on the other with one GARP. */
export function moveAddress(lab: Lab): HandMover {
  return async (cur, next) => {
    await must(lab.names.nodeNs(cur), 'ip', ['addr', 'del', `${HAND_IP}/32`, 'dev', lab.names.nodeUplink(cur)]);
    await must(lab.names.nodeNs(next), 'sh', ['-c', `ip addr add ${HAND_IP}/32 dev ${lab.names.nodeUplink(next)} && ` +
      `{ arping -q -U -c 1 -I ${lab.names.nodeUplink(next)} -s ${HAND_IP} ${HAND_IP} >/dev/null 2>&1 & }`]);
  };
}

/** The product: gateway node loss (LAN link cut + agent SIGKILL), restored between trials. */
async function gatewayLossTrials(lab: Lab, env: Env, s: Sizes): Promise<{ trials: FailoverTrial[]; rec: ProbeRecord }> {
  const probe = lab.startProbe(env.sel, { mode: 'udp', intervalMs: 5 });
  await sleep(1_500);
  const trials: FailoverTrial[] = [];
  for (let k = 0; k < s.failover; k++) {
    const { fault, end, oldNode, newNode, x } = await loseHolder(lab, EIP_FAILOVER, k);
    trials.push({ fault, end, oldNode, newNode });
    // Restore: the agent first (it reaches the API through its relay, not the LAN, and removes the
    // stale address), then the link, then wait for the manager to see the node healthy again.
    lab.startAgent(x);
    await lab.waitAgentsHealthy([x], 60_000);
    await waitFor(`${oldNode} to drop its stale ${EIP_FAILOVER}`, async () =>
      ((await lab.holders()).get(EIP_FAILOVER) ?? []).join() === newNode, 30_000, 250);
    const restored = Date.now();
    await lab.restoreNode(x);
    await waitFor(`the manager to see ${oldNode} healthy`, () =>
      managerLog(lab).some((e) => e.t >= restored && e.msg === 'gateway agent healthy' && e['node'] === oldNode), 30_000, 250);
    await sleep(700);
    say(`failover trial ${k + 1}/${s.failover}: ${oldNode} → ${newNode}`);
  }
  const rec = await probe.stop() as ProbeRecord;
  return { trials, rec };
}

/** One trial read from the probe's record and the daemons' logs: the gap and its phases. */
function analyzeTrial(lab: Lab, rec: ProbeRecord, mgr: LogEntry[], t: FailoverTrial) {
  const win = sliceRecord(rec, t.fault - 300, t.end);
  const o = outage(win, EIP_FAILOVER);
  const marks = failoverMarks({ fault: t.fault, oldNode: t.oldNode, newNode: t.newNode, manager: mgr, newAgent: agentLog(lab, t.newNode) });
  const firstGood = o?.end ?? Number.NaN;
  const phases = o ? splitPhases(t.fault, marks, firstGood) : undefined;
  const wrong = win.replies.filter(([, , src]) => src !== EIP_FAILOVER).length;
  return { ...t, gap: o?.gap ?? Number.NaN, outage: o, marks, phases, wrong, win };
}

/** The timeline of the median trial, as failover-timeline.svg. */
function writeMedianTimeline(rows: TrialRow[], rec: ProbeRecord, resultsDir: string, artifacts: string[]): void {
  const sorted = [...rows].filter((x) => x.phases).sort((a, b) => a.gap - b.gap);
  const pick = sorted[Math.floor(sorted.length / 2)];
  if (pick?.phases && pick.outage) {
    const f = pick.fault, p = pick.phases;
    const bounds = [f, f + p.detection, f + p.detection + p.assignment, f + p.detection + p.assignment + p.programming, pick.outage.end];
    const names = ['detection', 'assignment', 'programming', 'rest'];
    const win = sliceRecord(rec, pick.outage.start - 60, pick.outage.end + 60);
    const tl = toTimeline(win, EIP_FAILOVER, f, `Failover ${pick.oldNode} → ${pick.newNode}: gap ${pick.gap.toFixed(0)} ms (median of ${rows.length} trials)`,
      names.map((name, i) => ({ name, start: bounds[i]!, end: bounds[i + 1]! })), pick.outage);
    if (tl) {
      writeFileSync(join(resultsDir, 'failover-timeline.svg'), renderTimelineSvg(tl, 1000, 240));
      artifacts.push('failover-timeline.svg');
    }
  }
}
