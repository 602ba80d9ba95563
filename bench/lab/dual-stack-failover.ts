// The dual-stack failover figures (issue 11 §5): each trial loses one gateway (link cut + agent
// SIGKILL), as failover.ts does for IPv4 — the holder of the IPv4 egress IP in odd trials, of the IPv6
// one in even trials (both move when one node holds both) — while a 5 ms UDP probe per family runs
// from the selected pod; a family's gaps are those of the trials that moved its IP. Phases from the
// daemons' logs as in failover.ts. (Losing both holders at once also measures a second claim waiting
// behind the new holder's first pass: BENCHMARKS "IPv6 beside IPv4".) Baselines: each family's hand-written address moved by hand between gateways
// (`ip addr del/add` + one `arping -U`, or `ip -6 addr` + one unsolicited NA from a raw socket; not
// `nodad`, which would make the address the agent's — the lab's accept_dad=0 skips DAD), under a
// probe of the same kind, in this run.
import { sleep, waitFor, type Lab, type LabPod } from '../../e2e/src/lab/lab.js';
import * as A from '../../e2e/src/lab/addressing.js';
import { ECHO_IP6 } from '../../e2e/src/lab/ipv6.js';
import { loseNode } from '../../e2e/src/scenario.js';
import { NA_SENDER_SCRIPT } from '../../packages/node-agent/src/kernel/na-session.js';
import { renderUnsolicitedNA } from '../../packages/node-agent/src/render/na.js';
import { failoverMarks, splitPhases, type LogEntry, type PhaseSplit } from '../lib/daemon-logs.js';
import { outage, sliceRecord, type ProbeRecord } from '../lib/probe-math.js';
import { summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { EIP_FAILOVER, GATEWAYS, HAND_IP, agentLog, managerLog, must, r1, say } from './common.js';
export const EIP6 = '2001:db8:0:2::101';
/** Hand-written IPv6 path: outside the IPv6 pool (2001:db8:0:2::100/120), so no policy can claim it. */
export const HAND_IP6 = '2001:db8:0:2::250';

export interface DualSizes {
  failover: number; handMoves: number; pingCount: number; pingRounds: number; iperfSecs: number; iperfRounds: number; conv: number;
}

export interface FamilyPaths {
  v4: { sel: LabPod; plain: LabPod; hand: LabPod };
  v6: { sel: LabPod; plain: LabPod; hand: LabPod };
  handGateway4: number;
  handGateway6: number;
}

type Changed = { addresses?: number };
export interface Family { name: 'IPv4' | 'IPv6'; eip: string; echo: string; handIP: string; handGateway: number }
interface Trial { fault: number; end: number; moves: Map<string, { from: string; to: string }> }

export async function dualStackFailover(lab: Lab, env: FamilyPaths, s: DualSizes): Promise<Figure[]> {
  const fams: Family[] = [
    { name: 'IPv4', eip: EIP_FAILOVER, echo: A.ECHO_IP, handIP: HAND_IP, handGateway: env.handGateway4 },
    { name: 'IPv6', eip: EIP6, echo: ECHO_IP6, handIP: HAND_IP6, handGateway: env.handGateway6 },
  ];
  const hand = new Map<string, number[]>();
  for (const f of fams) hand.set(f.name, await handMoves(lab, env.v4.hand, f, s.handMoves));
  const probes = fams.map((f) => lab.startProbe(env.v4.sel, { mode: 'udp', intervalMs: 5, target: f.echo }));
  await sleep(1_500);
  const trials: Trial[] = [];
  let recs: ProbeRecord[] = [];
  try {
    for (let k = 0; k < s.failover; k++) trials.push(await loseHolder(lab, fams, fams[k % fams.length]!, k));
  } finally {
    recs = await Promise.all(probes.map((p) => p.stop())) as ProbeRecord[];
  }
  const mgr = managerLog(lab);
  const out: Figure[] = [];
  const gapsOf = new Map<string, number[]>();
  fams.forEach((f, i) => {
    const rows = trials.filter((t) => t.moves.has(f.eip)).map((t) => {
      const win = sliceRecord(recs[i]!, t.fault - 300, t.end);
      const o = outage(win, f.eip);
      const mv = t.moves.get(f.eip)!;
      // programmed: the new holder's sync that added an address of this family (IPv6 counts sit under `ipv6`)
      const added = (e: LogEntry) => ((f.name === 'IPv6' ? (e['ipv6'] as { changed?: Changed } | undefined)?.changed : e['changed'] as Changed | undefined)?.addresses ?? 0) > 0;
      const log = agentLog(lab, mv.to);
      const marks = failoverMarks({ fault: t.fault, oldNode: mv.from, newNode: mv.to, manager: mgr, newAgent: log.filter((e) => e.msg !== 'synced' || added(e)) });
      // where the new holder's passes spent their time (each family's phases, ms after the fault)
      const syncs = log.filter((e) => e.msg === 'synced' && e.t >= t.fault && e.t <= t.end)
        .map((e) => ({ atMs: e.t - t.fault, ms: e['ms'], phases: e['phases'], ipv6: e['ipv6'], changed: e['changed'] }));
      return { ...mv, gap: o?.gap ?? Number.NaN, phases: o ? splitPhases(t.fault, marks, o.end) : undefined,
        wrong: win.replies.filter(([, , src]) => src !== f.eip).length, syncs };
    });
    gapsOf.set(f.name, rows.map((r) => r.gap));
    out.push(...familyFigures(f, rows, hand.get(f.name)!, s));
  });
  const p50 = (n: string) => summarize(gapsOf.get(n)!.filter(Number.isFinite)).p50;
  out.push(figure({ name: 'failover gap p50, IPv6 vs IPv4 (same run, one gateway lost per trial)', unit: 'ms', value: r1(p50('IPv6')), baseline: { name: 'IPv4 failover gap p50', value: r1(p50('IPv4')) },
    details: { ipv4GapsMs: gapsOf.get('IPv4')!.map(r1), ipv6GapsMs: gapsOf.get('IPv6')!.map(r1) } }));
  return out;
}

type Row = { from: string; to: string; gap: number; phases: PhaseSplit | undefined; wrong: number; syncs: unknown[] };

function familyFigures(f: Family, rows: Row[], hand: number[], s: DualSizes): Figure[] {
  const g = summarize(rows.map((r) => r.gap).filter(Number.isFinite));
  const hb = summarize(hand.filter(Number.isFinite));
  const phaseNames: (keyof PhaseSplit)[] = ['detection', 'assignment', 'programming', 'rest'];
  const withPhases = rows.filter((r) => r.phases);
  const phases = Object.fromEntries(phaseNames.map((p) => {
    const st = summarize(withPhases.map((r) => r.phases![p]));
    return [p, { p50: r1(st.p50), p99: r1(st.p99), max: r1(st.max) }];
  }));
  const wrong = rows.reduce((n, r) => n + r.wrong, 0);
  say(`${f.name} failover gaps: ${rows.map((r) => r.gap.toFixed(0)).join(', ')} ms; hand ${hand.map((x) => x.toFixed(0)).join(', ')} ms; phases ${JSON.stringify(phases)}; wrong source ${wrong}`);
  const details = {
    trials: rows.map((r) => ({ from: r.from, to: r.to, gapMs: r1(r.gap), phases: r.phases && Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, r1(v)])), wrongSourceReplies: r.wrong, newHolderSyncs: r.syncs })),
    phases, handMoveGapsMs: hand.map(r1), wrongSourceReplies: wrong,
    fault: 'the node holding this family\'s egress IP (and whatever else it holds) loses its LAN link (bridge port down) and its agent (SIGKILL); defaults',
  };
  const base = (q: string, v: number) => ({ name: `${f.name} address moved by hand + ${f.name === 'IPv4' ? 'GARP' : 'unsolicited NA'}, ${q}`, value: r1(v) });
  return [
    figure({ name: `failover gap p50, ${f.name} (dual stack, ${g.n} trials)`, unit: 'ms', value: r1(g.p50), baseline: base('p50', hb.p50), details }),
    figure({ name: `failover gap p99, ${f.name} (dual stack, ${g.n} trials)`, unit: 'ms', value: r1(g.p99), baseline: base('p99', hb.p99),
      target: '≤ 1 s, no wrong source (issue 11: IPv6 as IPv4)', met: g.n === rows.length && g.n >= Math.floor(s.failover / 2) && g.p99 <= 1_000 && wrong === 0 }),
    figure({ name: `failover gap max, ${f.name} (dual stack, ${g.n} trials)`, unit: 'ms', value: r1(g.max), baseline: base('max', hb.max) }),
    ...phaseNames.map((p) => figure({ name: `failover phase: ${p}, p50, ${f.name} (dual stack)`, unit: 'ms', value: phases[p]!.p50,
      baseline: { name: `${f.name} failover gap p50 (ratio = share)`, value: r1(g.p50) } })),
  ];
}

/** One trial: the holder of `target`'s egress IP is lost; every IP it held is seen elsewhere; the node is restored. */
async function loseHolder(lab: Lab, fams: Family[], target: Family, k: number): Promise<Trial> {
  const holders = await lab.holders();
  const from = new Map(fams.map((f) => {
    const h = holders.get(f.eip) ?? [];
    if (h.length !== 1) throw new Error(`${f.eip} held by ${JSON.stringify(h)} before trial ${k + 1}`);
    return [f.eip, h[0]!];
  }));
  const lost = [from.get(target.eip)!];
  const fault = Date.now();
  await loseNode(lab, lab.nodeIndex(lost[0]!));
  const moves = new Map<string, { from: string; to: string }>();
  const moved = fams.filter((f) => lost.includes(from.get(f.eip)!));
  await Promise.all(moved.map(async (f) => {
    const to = await waitFor(`${f.eip} on a node other than ${lost.join(', ')}`, async () => {
      const h = ((await lab.holders()).get(f.eip) ?? []).filter((n) => !lost.includes(n));
      return h.length === 1 ? h[0] : undefined;
    }, 30_000, 250);
    moves.set(f.eip, { from: from.get(f.eip)!, to });
  }));
  await sleep(1_000);
  const end = Date.now();
  // Restore as failover.ts does: the agents first (they drop the stale addresses), then the links.
  const xs = lost.map((n) => lab.nodeIndex(n));
  for (const x of xs) lab.startAgent(x);
  await lab.waitAgentsHealthy(xs, 60_000);
  for (const f of moved) {
    await waitFor(`the lost nodes to drop ${f.eip}`, async () => ((await lab.holders()).get(f.eip) ?? []).join() === moves.get(f.eip)!.to, 30_000, 250);
  }
  const restored = Date.now();
  for (const x of xs) await lab.restoreNode(x);
  for (const n of lost) {
    await waitFor(`the manager to see ${n} healthy`, () =>
      managerLog(lab).some((e) => e.t >= restored && e.msg === 'gateway agent healthy' && e['node'] === n), 30_000, 250);
  }
  await sleep(700);
  say(`dual-stack failover trial ${k + 1}: ${moved.map((f) => `${f.name} ${moves.get(f.eip)!.from} → ${moves.get(f.eip)!.to}`).join(', ')}`);
  return { fault, end, moves };
}

/** Baseline: the family's hand-written address moved by hand between gateways, one announcement each time. */
export async function handMoves(lab: Lab, hand: LabPod, f: Family, n: number): Promise<number[]> {
  const probe = lab.startProbe(hand, { mode: 'udp', intervalMs: 5, target: f.echo });
  await sleep(1_000);
  const v6 = f.name === 'IPv6';
  const len = v6 ? 128 : 32;
  const macs = new Map<number, string>();
  for (const g of GATEWAYS) {
    const [link] = JSON.parse(await must(lab.names.nodeNs(g), 'ip', ['-j', 'link', 'show', 'dev', lab.names.nodeUplink(g)])) as { address: string }[];
    macs.set(g, link!.address);
  }
  const moves: number[] = [];
  let cur = f.handGateway;
  for (let k = 0; k < n; k++) {
    const next = GATEWAYS.filter((g) => g !== cur)[k % 2]!;
    const up = lab.names.nodeUplink(next);
    const announce = v6
      ? `{ echo "${up} ${f.handIP} ${Buffer.from(renderUnsolicitedNA(f.handIP, macs.get(next)!)).toString('hex')}" | python3 -u -c '${NA_SENDER_SCRIPT}' >/dev/null 2>&1 & }`
      : `{ arping -q -U -c 1 -I ${up} -s ${f.handIP} ${f.handIP} >/dev/null 2>&1 & }`;
    const t = Date.now();
    await must(lab.names.nodeNs(cur), 'ip', [...(v6 ? ['-6'] : []), 'addr', 'del', `${f.handIP}/${len}`, 'dev', lab.names.nodeUplink(cur)]);
    await must(lab.names.nodeNs(next), 'sh', ['-c', `ip ${v6 ? '-6 ' : ''}addr add ${f.handIP}/${len} dev ${up} && ${announce}`]);
    moves.push(t);
    cur = next;
    await sleep(1_500);
  }
  const rec = await probe.stop() as ProbeRecord;
  // leave the address where the product's path expects the hand path (setUpDualStack put it there)
  if (cur !== f.handGateway) {
    await must(lab.names.nodeNs(cur), 'ip', [...(v6 ? ['-6'] : []), 'addr', 'del', `${f.handIP}/${len}`, 'dev', lab.names.nodeUplink(cur)]);
    await must(lab.names.nodeNs(f.handGateway), 'ip', [...(v6 ? ['-6'] : []), 'addr', 'add', `${f.handIP}/${len}`, 'dev', lab.names.nodeUplink(f.handGateway)]);
  }
  const gaps = moves.map((t) => outage(sliceRecord(rec, t - 300, t + 1_400), f.handIP)?.gap ?? Number.NaN);
  say(`${f.name} hand moves: gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
  return gaps;
}
