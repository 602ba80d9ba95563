// The applier as a CLI, for kernel suites, benchmarks and debugging: run it inside the node's
// network namespace (`ip netns exec <ns> node --import tsx packages/node-agent/src/apply-cli.ts
// --uplink eth0`), write one JSON command per line on stdin, read one JSON answer per line:
//   {"op":"sync","state":<NodeState>,"full":false}  {"op":"cleanup"}  {"op":"counters"}  {"op":"exit"}
//   {"op":"watch"}: from now on heal by kernel events like the agent (a full sync of the last state);
//   {"op":"heals"}: the heals since the last call, each {at: epoch ms, healed: {kind: n}}
// `--family 6`: the IPv6 state's applier instead (issue 11: createLinuxKernel6, ipv6RenderConfig; its
// damage watch is the agent's with the IPv6 state running).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { NodeState } from './desired/types.js';
import { createLinuxKernel } from './kernel/linux.js';
import { createLinuxKernel6 } from './kernel/linux6.js';
import { ipv6RenderConfig } from './render/family.js';
import { readEgressCounters } from './reconcile/counters.js';
import { NodeSyncer } from './reconcile/syncer.js';
import { renderState } from './render/state.js';
import type { RenderConfig, RenderedState } from './render/types.js';
import { realClock } from '@static-egress/controller-kit';
import { DamageHealer } from './reconcile/damage-watch.js';
import { LinuxChangeMonitor } from './kernel/linux-monitor.js';
import { guardTable } from './render/guard.js';

const { values } = parseArgs({
  options: {
    uplink: { type: 'string', default: 'eth0' },
    'chain-prefix': { type: 'string', default: 'SEGRESS' },
    'ipset-prefix': { type: 'string', default: 'segress' },
    'table-range': { type: 'string', default: '5000-5999' },
    'rule-priority': { type: 'string', default: '5000-5999' },
    fwmark: { type: 'string', default: '0x00ff0000' },
    'vxlan-vni': { type: 'string', default: '7447' },
    'vxlan-port': { type: 'string', default: '4799' },
    family: { type: 'string', default: '4' },
  },
});
const range = (s: string) => s.split('-').map(Number) as [number, number];
const [tableMin, tableMax] = range(values['table-range']!);
const [priorityMin, priorityMax] = range(values['rule-priority']!);
if (values.family !== '4' && values.family !== '6') throw new Error(`--family: 4 or 6, got ${values.family}`);
const render4: RenderConfig = {
  chainPrefix: values['chain-prefix']!, ipsetPrefix: values['ipset-prefix']!, uplink: values.uplink!,
  vxlanDevice: 'segress.vx', vxlanVNI: Number(values['vxlan-vni']), vxlanPort: Number(values['vxlan-port']),
};
const ipv6 = values.family === '6';
const render = ipv6 ? ipv6RenderConfig(render4) : render4;
const kernel = ipv6 ? createLinuxKernel6({ ipsetPrefix: render.ipsetPrefix }) : createLinuxKernel({ ipsetPrefix: render.ipsetPrefix });
const syncer = new NodeSyncer(kernel, {
  render, ranges: { markMask: Number(values.fwmark), tableMin, tableMax, priorityMin, priorityMax },
});

type Command = { op: 'sync'; state: NodeState; full?: boolean } | { op: 'cleanup' } | { op: 'counters' } | { op: 'exit' } | { op: 'watch' } | { op: 'heals' };

let last: RenderedState | null = null;
let heals: { at: number; healed: object }[] = [];
let healQueued = false;
/** Heals by events, queued behind the commands like the agent's runner would. */
function watch(): void {
  const healer = new DamageHealer({
    clock: realClock,
    names: {
      uplink: render.uplink, vxlanDevice: render4.vxlanDevice, guardTable: guardTable(render4), ranges: { tableMin, tableMax, priorityMin, priorityMax },
      ...(ipv6 ? { ipv6: { guardTable: guardTable(render), vxlanDevice: render.vxlanDevice } } : {}),
    },
    heal: () => {
      if (healQueued) return; // one full sync covers every event before it runs
      healQueued = true;
      chain = chain.then(async () => {
        healQueued = false;
        if (!last) return;
        const r = await syncer.sync(last, { full: true }).catch(() => null);
        if (r && Object.keys(r.healed).length) {
          heals.push({ at: Date.now(), healed: r.healed });
          healer.healed(r.healed);
        }
      });
    },
    alert: () => {},
  });
  new LinuxChangeMonitor({ onLine: (s, l) => healer.onLine(s, l), onError: () => {}, pollMs: 200, legacyIptables: false, ipv6 }).start();
}

const rl = createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    const cmd = JSON.parse(line) as Command;
    const t0 = performance.now();
    try {
      let result: unknown = null;
      if (cmd.op === 'sync') {
        const t1 = performance.now();
        const rendered = renderState(cmd.state, render);
        const renderMs = performance.now() - t1;
        result = { ...(await syncer.sync(rendered, { full: cmd.full })), renderMs };
        last = rendered;
      } else if (cmd.op === 'watch') watch();
      else if (cmd.op === 'heals') [result, heals] = [heals, []];
      else if (cmd.op === 'cleanup') await syncer.cleanup();
      else if (cmd.op === 'counters') result = await readEgressCounters(kernel.iptables, render.chainPrefix);
      else if (cmd.op === 'exit') {
        process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
        kernel.close();
        process.exit(0);
      }
      process.stdout.write(`${JSON.stringify({ ok: true, ms: performance.now() - t0, result, rss: process.memoryUsage().rss })}\n`);
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ ok: false, ms: performance.now() - t0, error: (err as Error).message })}\n`);
    }
  });
});
rl.on('close', () => { void chain.then(() => { kernel.close(); process.exit(0); }); });
