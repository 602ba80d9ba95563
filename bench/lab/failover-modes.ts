// `npm run bench -- --only failover [--quick] [--agent-args='--lease=80ms ...']` (issue 16 §1): the
// node-loss failover of failover.ts (LAN link cut + agent SIGKILL, 5 ms UDP probe, phases from the
// daemons' logs) in BOTH modes, each in its own lab (4 nodes, 2 managers, gateways node-2..4): direct,
// then VXLAN (overlay CNI). Each mode's baseline is the address moved by hand in that lab with one
// GARP — in VXLAN mode the hand-written director's route is switched to the new gateway in the same
// step (its tunnel device, SNAT, neighbour and fdb entries are on every gateway beforehand, as the
// product's standby SNAT is). 50 trials per mode (--quick: 5); the load average before and after each.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as A from '../../e2e/src/lab/addressing.js';
import { Lab } from '../../e2e/src/lab/lab.js';
import { renderHandGateway, renderHandVxlanDevice, handVxlanDevice } from '../lib/hand-rules.js';
import { Background } from '../lib/lab-helpers.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import { figure, type BenchOptions, type BenchResult, type Figure } from '../lib/types.js';
import { GATEWAYS, HAND_IP, must, r2, say, type Env, type Sizes } from './common.js';
import { failover, type HandMover } from './failover.js';
import { setUp, setUpVxlan } from './setup.js';

/** `seld` + 3 characters: this bench's labs are told apart from the other benches' (`selb…`, `selc…`). */
export const labPrefix = (): string => `${process.env.SE_BENCH_LAB_PREFIX ?? 'seld'}${Math.random().toString(36).slice(2, 5).padEnd(3, '0')}`;

const TABLE = 4000; // the hand-written director's table (hand-rules.ts defaults)
const vtepMac = (i: number): string => `0e:b0:00:00:00:${i.toString(16).padStart(2, '0')}`; // as setUpVxlan's

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools(LAB_BENCH_TOOLS);
  if (missing) return { name: 'failover', figures: [], skipped: missing };
  const trials = opts.quick ? 5 : 50;
  const sizes: Sizes = { failover: trials, handMoves: opts.quick ? 3 : 10, conv: 3, pingCount: 300, pingRounds: 1, iperfSecs: 3, iperfRounds: 1 };
  const figures: Figure[] = [];
  const artifacts: string[] = [];
  for (const mode of ['direct', 'vxlan'] as const) {
    const bg = new Background();
    const killBg = (): void => bg.killAllSync();
    process.on('exit', killBg);
    const load = { before: os.loadavg().map(r2), after: [] as number[] };
    const t = Date.now();
    let lab: Lab | undefined;
    try {
      say(`failover, ${mode} mode (${trials} trials${opts.agentArgs ? `, agent ${opts.agentArgs.join(' ')}` : ''}) ...`);
      lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: GATEWAYS, overlay: mode === 'vxlan', prefix: labPrefix(), ...(opts.agentArgs ? { agentArgs: opts.agentArgs } : {}),
        ...(opts.managerArgs ? { managerArgs: opts.managerArgs } : {}) });
      const { env, moveHand } = mode === 'direct' ? { env: await setUp(lab), moveHand: undefined } : await setUpVxlanHandMoves(lab);
      const got = await failover(lab, env, bg, sizes, opts.resultsDir, mode === 'direct' ? artifacts : [], moveHand);
      load.after = os.loadavg().map(r2);
      const details = { mode, loadAverage: load, cores: os.cpus().length, agentArgs: opts.agentArgs ?? [], managerArgs: opts.managerArgs ?? [] };
      const named = got.map((f) => ({ ...f, name: `${mode}: ${f.name}`, details: { ...f.details, ...details } }));
      figures.push(...named);
      // each mode's figures as soon as it is done: a run cut short keeps the first mode's
      writeFileSync(join(opts.resultsDir, `${new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}-failover-${mode}.json`), JSON.stringify(named, null, 2) + '\n');
    } catch (err) {
      say(`failover, ${mode} mode FAILED: ${(err as Error).stack ?? String(err)}`);
      figures.push(figure({ name: `${mode}: failover: failed`, unit: '', value: Number.NaN, baseline: { name: 'n/a', value: Number.NaN },
        met: false, details: { error: (err as Error).message } }));
    } finally {
      bg.killAllSync();
      process.off('exit', killBg);
      await lab?.down({ keepLogs: true }); // the daemons' logs of every cited run (issue 16 §1: a lost run's logs left a question open)
      say(`failover, ${mode} mode done in ${((Date.now() - t) / 1000).toFixed(0)} s (load ${load.before.join(' ')} → ${os.loadavg().map(r2).join(' ')})`);
    }
  }
  return { name: 'failover', figures, artifacts };
}

/**
 * The VXLAN lab's hand-written path (setUpVxlan) made movable: the hand tunnel device and the SNAT
 * on every gateway, the director's neighbour and fdb entry for each; a move deletes the address on
 * one gateway, points the director's route at the other and adds the address there with one GARP.
 */
async function setUpVxlanHandMoves(lab: Lab): Promise<{ env: Env; moveHand: HandMover }> {
  const paths = await setUpVxlan(lab);
  const dev = handVxlanDevice(lab.prefix);
  const uplink1 = lab.names.nodeUplink(1);
  for (const g of GATEWAYS.filter((x) => x !== paths.gateway)) {
    const d = renderHandVxlanDevice({ prefix: lab.prefix, localIP: A.nodeIP(g), uplink: lab.names.nodeUplink(g), mac: vtepMac(g), mtu: 1450 });
    await must(lab.names.nodeNs(g), 'ip', ['-batch', '-'], d.ip.join('\n') + '\n');
    await must(lab.names.nodeNs(g), 'sysctl', ['-q', '-w', ...Object.entries(d.sysctl).map(([k, v]) => `${k}=${v}`)]);
    await must(lab.names.nodeNs(g), 'iptables-restore', ['--noflush'],
      renderHandGateway({ prefix: lab.prefix, podIP: paths.hand.ip, dstCIDR: A.EXTERNAL_CIDR, egressIP: HAND_IP }));
    await must(lab.names.nodeNs(1), 'ip', ['neigh', 'replace', A.nodeIP(g), 'lladdr', vtepMac(g), 'dev', dev, 'nud', 'permanent']);
    await must(lab.names.nodeNs(1), 'bridge', ['fdb', 'append', vtepMac(g), 'dev', dev, 'dst', A.nodeIP(g), 'via', uplink1]);
  }
  const moveHand: HandMover = async (cur, next) => {
    await must(lab.names.nodeNs(cur), 'ip', ['addr', 'del', `${HAND_IP}/32`, 'dev', lab.names.nodeUplink(cur)]);
    await Promise.all([
      must(lab.names.nodeNs(1), 'ip', ['route', 'replace', 'default', 'via', A.nodeIP(next), 'dev', dev, 'onlink', 'table', String(TABLE)]),
      must(lab.names.nodeNs(next), 'sh', ['-c', `ip addr add ${HAND_IP}/32 dev ${lab.names.nodeUplink(next)} && ` +
        `{ arping -q -U -c 1 -I ${lab.names.nodeUplink(next)} -s ${HAND_IP} ${HAND_IP} >/dev/null 2>&1 & }`]),
    ]);
  };
  const pc = await lab.addPod({ namespace: 'bench', name: 'pc', node: 1, labels: { app: 'pc' } });
  return { env: { sel: paths.sel, plain: paths.plain, hand: paths.hand, pc, handGateway: paths.gateway }, moveHand };
}
