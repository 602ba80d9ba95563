// `npm run bench -- --only planned`: the planned-move scenario (planned-move.ts) alone, in its own
// lab, beside the node-loss failover of the same run (failover.ts) as its baseline. The full lab
// bench (index.ts) runs it among its other sections.
import { Lab } from '../../e2e/src/lab/lab.js';
import { Background } from '../lib/lab-helpers.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import type { BenchOptions, BenchResult, Figure } from '../lib/types.js';
import { GATEWAYS, type Sizes } from './common.js';
import { failover } from './failover.js';
import { labPrefix } from './failover-modes.js';
import { plannedMoves } from './planned-move.js';
import { setUp } from './setup.js';

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools(LAB_BENCH_TOOLS);
  if (missing) return { name: 'planned', figures: [], skipped: missing };
  const sizes: Sizes = opts.quick
    ? { failover: 6, handMoves: 3, conv: 3, pingCount: 300, pingRounds: 1, iperfSecs: 3, iperfRounds: 1 }
    : { failover: 21, handMoves: 10, conv: 20, pingCount: 1000, pingRounds: 3, iperfSecs: 5, iperfRounds: 5 };
  const bg = new Background();
  const killBg = (): void => bg.killAllSync();
  process.on('exit', killBg);
  const figures: Figure[] = [];
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: GATEWAYS, prefix: labPrefix(), ...(opts.agentArgs ? { agentArgs: opts.agentArgs } : {}),
      ...(opts.managerArgs ? { managerArgs: opts.managerArgs } : {}) });
    const env = await setUp(lab);
    figures.push(...await plannedMoves(lab, env, sizes));
    figures.push(...await failover(lab, env, bg, { ...sizes, failover: Math.min(sizes.failover, 5) }, opts.resultsDir, []));
  } finally {
    bg.killAllSync();
    process.off('exit', killBg);
    await lab?.down({ keepLogs: true });
  }
  return { name: 'planned', figures };
}
