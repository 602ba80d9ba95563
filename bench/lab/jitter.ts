// Jitter on the LAN of a lab whose kernel has no sch_netem (issue 16 §2; bench/lib/jitter-relay.py):
// each member's bridge port is taken off the bridge and joined to a fresh veth on the bridge by one
// relay process in the LAN namespace, which delays every frame towards the member by base ± jitter
// ms (uniform, as netem's `delay base jitter` on the port). The relay runs at a real-time priority,
// as netem runs in the kernel's softirq: the soak's busy loops must load the lab's daemons, not the
// impairment itself. Checksum offload is turned off on the members' uplinks (a frame copied off a
// veth may carry a partial checksum) and back on by `undo`. Everything is inside the lab's namespaces.
import { execa } from 'execa';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Lab } from '../../e2e/src/lab/lab.js';
import { range } from '../../e2e/src/lab/topology.js';
import type { Background } from '../lib/lab-helpers.js';
import { must, say } from './common.js';

const RELAY = join(import.meta.dirname, '..', 'lib', 'jitter-relay.py');

interface Member { port: string; uplink: string; ns: string }

function members(lab: Lab): Member[] {
  const n = lab.names;
  return [
    { port: n.routerLanPort, uplink: n.routerLan, ns: n.routerNs },
    ...range(lab.plan.nodes).map((i) => ({ port: n.nodeLanPort(i), uplink: n.nodeUplink(i), ns: n.nodeNs(i) })),
    ...range(lab.plan.managers).map((i) => ({ port: n.managerLanPort(i), uplink: n.managerUplink(i), ns: n.managerNs(i) })),
  ];
}

/** Why jitter cannot be applied here ('' when it can): the relay needs python3, ethtool and chrt. */
export async function jitterUnavailable(): Promise<string> {
  for (const tool of ['python3', 'ethtool', 'chrt']) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0) return `no ${tool}`;
  }
  return '';
}

export async function startJitter(lab: Lab, bg: Background, baseMs: number, jitterMs: number): Promise<{ what: string; undo: () => Promise<void> }> {
  const lan = lab.names.lanNs;
  const ms = members(lab);
  for (const m of ms) await must(m.ns, 'ethtool', ['-K', m.uplink, 'tx', 'off']);
  const pairs: string[] = [];
  for (const [k, m] of ms.entries()) {
    await must(lan, 'ip', ['link', 'add', `jb${k}`, 'type', 'veth', 'peer', 'name', `jr${k}`]);
    await must(lan, 'ip', ['link', 'set', `jb${k}`, 'master', lab.names.bridge, 'up']);
    await must(lan, 'ip', ['link', 'set', `jr${k}`, 'promisc', 'on', 'up']);
    await must(lan, 'ip', ['link', 'set', m.port, 'promisc', 'on']);
    pairs.push(`${m.port}:jr${k}`);
  }
  // real-time priority where the machine allows it (a container may not), else said in `what`
  const rt = (await execa('ip', ['netns', 'exec', lan, 'chrt', '-f', '10', 'true'], { reject: false })).exitCode === 0;
  const args = [RELAY, String(baseMs), String(jitterMs), ...pairs];
  const relay: ChildProcess = rt ? bg.start(lan, 'chrt', ['-f', '10', 'python3', ...args]) : bg.start(lan, 'python3', args);
  let stderr = '';
  relay.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2_000); });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`jitter relay not ready in 10 s: ${stderr}`)), 10_000);
    relay.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(t); resolve(); } });
    relay.once('exit', (code) => { clearTimeout(t); reject(new Error(`jitter relay exited ${code}: ${stderr}`)); });
  });
  // only now off the bridge: the relay carries each port's frames from the moment it leaves
  for (const m of ms) await must(lan, 'ip', ['link', 'set', m.port, 'nomaster']);
  return {
    what: `${baseMs} ms ± ${jitterMs} ms jitter (uniform, every frame towards each of ${ms.length} LAN members, a relay ${rt ? 'at real-time priority' : 'at normal priority: real-time refused here'})`,
    undo: async () => {
      for (const m of ms) await must(lan, 'ip', ['link', 'set', m.port, 'promisc', 'off', 'master', lab.names.bridge]);
      await bg.stop(relay, 'SIGKILL');
      for (const k of ms.keys()) await must(lan, 'ip', ['link', 'del', `jb${k}`]);
      for (const m of ms) await must(m.ns, 'ethtool', ['-K', m.uplink, 'tx', 'on']);
      say(`jitter relay: ${stderr.trim().split('\n').pop() ?? ''}`);
    },
  };
}
