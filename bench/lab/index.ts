// The lab benchmarks (issue 5), one file per scenario: failover gap with its phase split
// (failover.ts), data-path throughput and latency against a hand-written minimal rule set
// (datapath.ts), policy created → first packet with the egress IP (policy-created.ts), pod IP known →
// its traffic uses the egress IP (pod-created.ts). One lab (DESIGN §7): node-1 runs the client pods,
// nodes 2–4 are gateways (setup.ts); the VXLAN data path gets a lab of its own. Every figure's
// baseline is measured in the same run; see BENCHMARKS.md for what each one means. Everything happens
// inside the lab's namespaces; each lab is torn down in `finally` (and by its own exit/SIGINT hook).
import { execa } from 'execa';
import { Lab } from '../../e2e/src/lab/lab.js';
import { startClientBehindPolicy } from '../../e2e/src/scenario.js';
import { Background } from '../lib/lab-helpers.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import { figure, type BenchOptions, type BenchResult, type Figure } from '../lib/types.js';
import { GATEWAYS, say, type Sizes } from './common.js';
import { CLOUD_GATEWAYS, cloudFailover } from './cloud-failover.js';
import { dataPath } from './datapath.js';
import { failover } from './failover.js';
import { plannedMoves } from './planned-move.js';
import { podCreated } from './pod-created.js';
import { policyCreated } from './policy-created.js';
import { setUp, setUpVxlan } from './setup.js';

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools(LAB_BENCH_TOOLS);
  if (missing) return { name: 'lab', figures: [], skipped: missing };
  const sizes: Sizes = opts.quick
    ? { failover: 3, handMoves: 3, conv: 3, pingCount: 300, pingRounds: 1, iperfSecs: 3, iperfRounds: 1 }
    : { failover: 20, handMoves: 10, conv: 20, pingCount: 1000, pingRounds: 3, iperfSecs: 5, iperfRounds: 5 };
  const bg = new Background();
  const killBg = (): void => bg.killAllSync();
  process.on('exit', killBg);
  const figures: Figure[] = [];
  const artifacts: string[] = [];
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: GATEWAYS });
    const env = await setUp(lab);
    const sections: [string, () => Promise<Figure[]>][] = [
      ['data path', () => dataPath(lab!, env, bg, sizes)],
      ['failover', () => failover(lab!, env, bg, sizes, opts.resultsDir, artifacts)],
      ['planned moves', () => plannedMoves(lab!, env, sizes)],
      ['policy created', () => policyCreated(lab!, env, bg, sizes)],
      ['pod created', () => podCreated(lab!, bg, sizes)],
    ];
    for (const [name, fn] of sections) {
      const t = Date.now();
      say(`${name} ...`);
      try {
        figures.push(...await fn());
      } catch (err) {
        say(`${name} FAILED: ${(err as Error).stack ?? String(err)}`);
        figures.push(figure({ name: `${name}: failed`, unit: '', value: Number.NaN, baseline: { name: 'n/a', value: Number.NaN },
          met: false, details: { error: (err as Error).message } }));
      }
      say(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    }
  } finally {
    bg.killAllSync();
    await lab?.down();
  }
  // VXLAN mode: its own lab (overlay CNI: pods are not routable on the LAN), data path only.
  let vx: Lab | undefined;
  try {
    const t = Date.now();
    say('data path, VXLAN mode ...');
    vx = await Lab.up({ nodes: 3, managers: 1, gatewayNodes: [2, 3], overlay: true });
    figures.push(...await dataPath(vx, await setUpVxlan(vx), bg, sizes));
    say(`data path, VXLAN mode done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  } catch (err) {
    say(`data path, VXLAN mode FAILED: ${(err as Error).stack ?? String(err)}`);
    figures.push(figure({ name: 'data path (vxlan mode): failed', unit: '', value: Number.NaN, baseline: { name: 'n/a', value: Number.NaN },
      met: false, details: { error: (err as Error).message } }));
  } finally {
    bg.killAllSync();
    await vx?.down();
  }
  figures.push(...await cloudSection(figures, bg, sizes));
  process.off('exit', killBg);
  return { name: 'lab', figures, artifacts };
}

/** Cloud mode (issue 13): its own lab (moto as the EC2 API), failover only, beside the L2 figure. */
async function cloudSection(l2: Figure[], bg: Background, sizes: Sizes): Promise<Figure[]> {
  if ((await execa('sh', ['-c', 'command -v "${MOTO_SERVER:-moto_server}"'], { reject: false })).exitCode !== 0) {
    say('cloud failover skipped: moto_server missing (pip install \'moto[server]==5.2.5\')');
    return [];
  }
  let lab: Lab | undefined;
  const t = Date.now();
  try {
    say('failover, cloud mode ...');
    lab = await Lab.up({ nodes: 3, managers: 2, gatewayNodes: CLOUD_GATEWAYS, cloud: true });
    await startClientBehindPolicy(lab);
    const l2gap = (q: string): number | undefined => l2.find((f) => f.name.startsWith(`failover gap ${q}`))?.value;
    return await cloudFailover(lab, sizes, { p50: l2gap('p50'), p99: l2gap('p99') });
  } catch (err) {
    say(`failover, cloud mode FAILED: ${(err as Error).stack ?? String(err)}`);
    return [figure({ name: 'cloud failover: failed', unit: '', value: Number.NaN, baseline: { name: 'n/a', value: Number.NaN },
      met: false, details: { error: (err as Error).message } })];
  } finally {
    bg.killAllSync();
    await lab?.down();
    say(`failover, cloud mode done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
}
