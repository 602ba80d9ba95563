// Benchmark (issue 16 §3): planned moves — the gateway node cordoned, its gateway label removed, or
// the pool's nodeSelector changed to leave it out — under a 5 ms UDP probe from the selected pod
// through EIP_FAILOVER: the gap (first unanswered probe → first answer from the egress IP again) and
// the replies that came back from any other source. Each move is undone once the IP has settled on
// the new holder; the IP is left where it went. Baseline: the same address moved by hand + GARP
// (failover.ts measures it in the same run; here its own few moves, so this section runs alone).
import { sleep, waitFor, type Lab } from '../../e2e/src/lab/lab.js';
import { paths } from '../../e2e/src/lab/objects.js';
import { POOL_NAME, waitMoved } from '../../e2e/src/scenario.js';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { outage, sliceRecord, type ProbeRecord } from '../lib/probe-math.js';
import { summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { EIP_FAILOVER, r1, say, type Env, type Sizes } from './common.js';

export type PlannedKind = 'cordon' | 'label' | 'pool';
export const PLANNED_KINDS: readonly PlannedKind[] = ['cordon', 'label', 'pool'];

interface Trial { kind: PlannedKind; start: number; end: number; from: string; to: string }

const GATEWAY_SELECTOR = { matchLabels: { [GATEWAY_LABEL]: '' } };

/** The move's cause and its undo, as API writes. */
function moveOf(lab: Lab, kind: PlannedKind, node: string): { apply: () => Promise<unknown>; undo: () => Promise<unknown> } {
  const label = (v: string | null) => lab.kube.patch(paths.node(node), { metadata: { labels: { [GATEWAY_LABEL]: v } } });
  const cordon = (on: boolean) => lab.kube.patch(paths.node(node), { spec: { unschedulable: on ? true : null } });
  const pool = (selector: object) => lab.kube.patch(paths.pool(POOL_NAME), { spec: { nodeSelector: selector } });
  switch (kind) {
    case 'cordon': return { apply: () => cordon(true), undo: () => cordon(false) };
    case 'label': return { apply: () => label(null), undo: () => label('') };
    case 'pool': return {
      apply: () => pool({ ...GATEWAY_SELECTOR, matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [node] }] }),
      undo: () => pool({ ...GATEWAY_SELECTOR, matchExpressions: null }),
    };
  }
}

async function holderOf(lab: Lab, ip: string): Promise<string> {
  const held = (await lab.holders()).get(ip) ?? [];
  if (held.length !== 1) throw new Error(`${ip} held by ${JSON.stringify(held)}`);
  return held[0]!;
}

export async function plannedMoves(lab: Lab, env: Env, s: Sizes): Promise<Figure[]> {
  const probe = lab.startProbe(env.sel, { mode: 'udp', intervalMs: 5 });
  await sleep(1_500);
  const trials: Trial[] = [];
  const n = Math.max(s.failover, PLANNED_KINDS.length);
  let rec: ProbeRecord | undefined;
  try {
    for (let k = 0; k < n; k++) {
      const kind = PLANNED_KINDS[k % PLANNED_KINDS.length]!;
      const from = await holderOf(lab, EIP_FAILOVER);
      const m = moveOf(lab, kind, from);
      const start = Date.now();
      await m.apply();
      const to = await waitMoved(lab, EIP_FAILOVER, from, 30_000, 250);
      await sleep(1_000);
      trials.push({ kind, start, end: Date.now(), from, to });
      await m.undo();
      await waitFor(`${from} to be a gateway again`, async () => (await holderOf(lab, EIP_FAILOVER)) === to, 10_000, 250);
      await sleep(700);
      say(`planned move ${k + 1}/${n} (${kind}): ${from} → ${to}`);
    }
  } finally {
    rec = await probe.stop() as ProbeRecord;
  }
  return plannedFigures(trials, rec);
}

function plannedFigures(trials: Trial[], rec: ProbeRecord): Figure[] {
  const rows = trials.map((t) => {
    const win = sliceRecord(rec, t.start - 300, t.end);
    const o = outage(win, EIP_FAILOVER);
    return { ...t, gap: o?.gap ?? 0, wrong: win.replies.filter(([, , src]) => src !== EIP_FAILOVER).length };
  });
  say(`planned-move gaps: ${rows.map((r) => `${r.kind} ${r.gap.toFixed(0)}`).join(', ')} ms`);
  const g = summarize(rows.map((r) => r.gap));
  const wrong = rows.reduce((x, r) => x + r.wrong, 0);
  const details = {
    trials: rows.map((r) => ({ kind: r.kind, from: r.from, to: r.to, gapMs: r1(r.gap), wrongSourceReplies: r.wrong })),
    byKind: Object.fromEntries(PLANNED_KINDS.map((kind) => [kind, summarize(rows.filter((r) => r.kind === kind).map((r) => r.gap))])),
    note: 'gap 0: no probe went unanswered. Release-before-claim: the old holder lets go, its probe report shows it, the manager hands the IP over in one pass',
  };
  return [
    figure({ name: `planned move gap p50 (${g.n} trials: cordon, gateway label removed, pool nodeSelector)`, unit: 'ms', value: r1(g.p50),
      baseline: { name: 'planned move gap max', value: r1(g.max) }, details }),
    figure({ name: `planned move gap p99 (${g.n} trials)`, unit: 'ms', value: r1(g.p99), baseline: { name: 'planned move gap p50', value: r1(g.p50) },
      target: '≤ 50 ms', met: g.p99 <= 50 }),
    figure({ name: 'planned moves: replies with a wrong source', unit: 'packets', value: wrong, baseline: { name: 'probes sent', value: rec.sends.length },
      target: '0', met: wrong === 0 }),
  ];
}
