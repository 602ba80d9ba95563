// The kernel lease's batches over the long-lived `nft -i` (issue 16 §1): what a renewal (every
// vouching probe) and a takeover's claim wait for. In one namespace of this run, the agent's
// NftSession as shipped (HOME=/dev/null, a fresh process every 1,000 batches) runs N renewals of one
// running lease; the same session without the handover shows how a batch's round trip grows with the
// lines one process has seen (nft -i keeps and walks a line history); the baseline is what the
// session replaced — one `nft -f -` process per batch — measured in the same run. Timings are read
// from the last 1,000 batches of each, when the history (if any) is longest.
import { execa } from 'execa';
import os from 'node:os';
import { NftSession } from '../packages/node-agent/src/kernel/nft-session.js';
import { renderLeaseClaim, renderLeaseRenew, renderLeaseSetup } from '../packages/node-agent/src/render/lease.js';
import { deleteNamespaces, runPrefix } from '../packages/node-agent/test/kernel/netns.js';
import { summarize } from './lib/stats.js';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';

const IP = '192.0.2.100';
const names = { table: 'sebench_lease' };

async function timed(n: number, fn: () => Promise<{ ok: boolean }>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    if (!(await fn()).ok) throw new Error('a renewal of a running lease failed');
    ms.push(performance.now() - t0);
  }
  return ms;
}

export async function run(o: BenchOptions): Promise<BenchResult> {
  if (process.getuid?.() !== 0) return { name: 'lease-session', figures: [], skipped: 'needs root (network namespaces)' };
  const batches = o.quick ? 5_000 : 20_000;
  const ns = `${runPrefix()}-lease`;
  const nsCmd = ['ip', 'netns', 'exec', ns, 'nft', '-i'];
  const load = { before: os.loadavg()[0]!, after: 0, cpus: os.cpus().length };
  await execa('ip', ['netns', 'add', ns]);
  const shipped = new NftSession({ command: nsCmd });
  const unbounded = new NftSession({ command: nsCmd, maxBatches: Number.POSITIVE_INFINITY });
  try {
    const setup = await shipped.run(renderLeaseSetup(names, [IP]) + renderLeaseClaim(names, [IP], 600_000));
    if (!setup.ok) throw new Error(`lease setup: ${setup.error}`);
    const renew = renderLeaseRenew(names, [IP], 600_000);
    const tail = (ms: number[]) => summarize(ms.slice(-1_000));
    const asShipped = tail(await timed(batches, () => shipped.run(renew)));
    const noHandover = tail(await timed(batches, () => unbounded.run(renew)));
    const spawned = summarize(await timed(o.quick ? 200 : 1_000, async () => {
      const r = await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: renew, reject: false });
      return { ok: r.exitCode === 0 };
    }));
    load.after = os.loadavg()[0]!;
    const details = { batches, asShipped, noHandover, spawned, load };
    return {
      name: 'lease-session',
      figures: [
        figure({ name: `lease renewal over the nft session, p50 of the last 1,000 of ${batches}`, unit: 'ms', value: asShipped.p50,
          baseline: { name: 'one `nft -f -` process per renewal, p50', value: spawned.p50 }, details }),
        figure({ name: `lease renewal over the nft session, p99 of the last 1,000 of ${batches}`, unit: 'ms', value: asShipped.p99,
          baseline: { name: 'one `nft -f -` process per renewal, p99', value: spawned.p99 }, details }),
        figure({ name: `the same session without the handover, p50 of the last 1,000 of ${batches}`, unit: 'ms', value: noHandover.p50,
          baseline: { name: 'as shipped (a fresh nft every 1,000 batches), p50', value: asShipped.p50 }, details }),
      ],
    };
  } finally {
    shipped.close();
    unbounded.close();
    await deleteNamespaces(ns.slice(0, ns.indexOf('-')));
  }
}
