// The kernel-suite topology (DESIGN §7, without the apiserver):
//   <p>-lan  bridge br0; veths to every node and the router
//   <p>-n1..n3  nodes 192.0.2.11-13 (uplink eth0), pod bridge cni0 203.0.113.(32N+1)/27, host-gw
//               routes to the other nodes' pod /27s, MASQUERADE for pods (the "CNI")
//   <p>-<pod>  pods behind cni0
//   <p>-rt   router 192.0.2.1 / 198.51.100.1;  <p>-ext  echo server 198.51.100.10, .20, .200
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { NodeState } from '../../src/desired/types.js';
import type { EgressCounters } from '../../src/reconcile/counters.js';
import { deleteNamespaces, nsExec } from './netns.js';

const HERE = import.meta.dirname;
const REPO = join(HERE, '../../../..');

export interface PodSpec { name: string; node: number; ip: string }

export const nodeIP = (n: number) => `192.0.2.${10 + n}`;
export const podGateway = (n: number) => `203.0.113.${32 * n + 1}`;

export class Topology {
  readonly ns = (x: string) => `${this.prefix}-${x}`;
  private echo?: ResultPromise;
  readonly serverLog: { proto: string; src: string; data: string }[] = [];
  private appliers: Applier[] = [];

  constructor(readonly prefix: string, readonly nodes: number, readonly pods: PodSpec[]) {}

  async up(): Promise<void> {
    const { ns } = this;
    const all = ['lan', 'rt', 'ext', ...Array.from({ length: this.nodes }, (_, i) => `n${i + 1}`), ...this.pods.map((p) => p.name)];
    for (const x of all) await execa('ip', ['netns', 'add', ns(x)]);
    for (const x of all) await nsExec(ns(x), 'ip link set lo up');
    await nsExec(ns('lan'), 'ip link add br0 type bridge; ip link set br0 up');
    // a veth is created inside the lan namespace, then its far end is moved into the peer namespace
    const wire = async (lanEnd: string, peerNs: string, peerEnd: string) => {
      await nsExec(ns('lan'), `ip link add ${lanEnd} type veth peer name ${peerEnd}; ip link set ${peerEnd} netns ${peerNs}; ip link set ${lanEnd} master br0 up`);
    };
    await wire('rt', ns('rt'), 'eth0');
    await nsExec(ns('rt'), `ip link add eth1 type veth peer name eth0 netns ${ns('ext')};
      ip addr add 192.0.2.1/24 dev eth0; ip link set eth0 up; ip addr add 198.51.100.1/24 dev eth1; ip link set eth1 up;
      sysctl -qw net.ipv4.ip_forward=1`);
    await nsExec(ns('ext'), `ip addr add 198.51.100.10/24 dev eth0; ip addr add 198.51.100.20/24 dev eth0; ip addr add 198.51.100.200/24 dev eth0;
      ip link set eth0 up; ip route add default via 198.51.100.1`);
    for (let n = 1; n <= this.nodes; n++) {
      const node = ns(`n${n}`);
      await wire(`n${n}`, node, 'eth0');
      const others = Array.from({ length: this.nodes }, (_, i) => i + 1).filter((m) => m !== n)
        .map((m) => `ip route add 203.0.113.${32 * m}/27 via ${nodeIP(m)}`).join('; ');
      await nsExec(node, `ip addr add ${nodeIP(n)}/24 dev eth0; ip link set eth0 up; ip route add default via 192.0.2.1;
        ip link add cni0 type bridge; ip addr add ${podGateway(n)}/27 dev cni0; ip link set cni0 up; ${others};
        sysctl -qw net.ipv4.ip_forward=1; sysctl -qw net.ipv4.conf.all.send_redirects=0; sysctl -qw net.ipv4.conf.eth0.send_redirects=0;
        sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1 2>/dev/null || true;
        iptables -t nat -A POSTROUTING -s 203.0.113.0/24 ! -d 203.0.113.0/24 -j MASQUERADE`);
    }
    for (const p of this.pods) {
      const node = ns(`n${p.node}`);
      const veth = `v${p.name}`.slice(0, 15);
      await nsExec(node, `ip link add ${veth} type veth peer name eth0 netns ${ns(p.name)}; ip link set ${veth} master cni0 up`);
      await nsExec(ns(p.name), `ip addr add ${p.ip}/27 dev eth0; ip link set eth0 up; ip route add default via ${podGateway(p.node)}`);
    }
    await this.startEcho();
  }

  private async startEcho(): Promise<void> {
    this.echo = execa('ip', ['netns', 'exec', this.ns('ext'), process.execPath, join(HERE, 'echo-server.mjs'), '198.51.100.10', '198.51.100.20', '198.51.100.200'], { reject: false });
    const rl = createInterface({ input: this.echo.stdout! });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('echo server did not start')), 10_000);
      rl.on('line', (l) => {
        const o = JSON.parse(l) as { ready?: boolean; proto: string; src: string; data: string };
        if (o.ready) { clearTimeout(t); resolve(); } else this.serverLog.push(o);
      });
    });
  }

  /** One UDP datagram from a pod; the source IP the server saw, or null when nothing came back. */
  async udp(pod: string, dst: string, tag: string): Promise<string | null> {
    const out = await nsExec(this.ns(pod), `socat -T1 - UDP:${dst}:8081`, { input: tag, reject: false });
    return out.trim() || null;
  }

  async tcp(pod: string, dst: string, tag: string): Promise<string | null> {
    const out = await nsExec(this.ns(pod), `socat -T2 - TCP:${dst}:8080,connect-timeout=2`, { input: `${tag}\n`, reject: false });
    return out.trim() || null;
  }

  async applier(node: number, args: string[] = []): Promise<Applier> {
    const a = new Applier(this.ns(`n${node}`), ['--uplink', 'eth0', ...args]);
    this.appliers.push(a);
    return a;
  }

  async down(): Promise<void> {
    for (const a of this.appliers) a.kill();
    this.echo?.kill('SIGKILL');
    await deleteNamespaces(this.prefix);
  }
}

/** A long-lived apply-cli process inside a node namespace: the netlink socket lives there. */
export class Applier {
  private readonly proc: ResultPromise;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(readonly ns: string, args: string[]) {
    this.proc = execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(REPO, 'packages/node-agent/src/apply-cli.ts'), ...args],
      { cwd: REPO, reject: false, stdin: 'pipe' });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
  }

  private call<T>(cmd: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        const r = JSON.parse(line) as { ok: boolean; error?: string; result: T };
        if (r.ok) resolve(r.result); else reject(new Error(`${this.ns}: ${r.error}`));
      });
      this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  sync(state: NodeState, full = false) {
    return this.call<{ full: boolean; healed: Record<string, number>; changed: Record<string, number> }>({ op: 'sync', state, full });
  }
  cleanup() { return this.call<null>({ op: 'cleanup' }); }
  /** Heal by kernel events from now on, like the agent (issue 12). */
  watch() { return this.call<null>({ op: 'watch' }); }
  /** Heals since the last call: when (epoch ms) and what. */
  heals() { return this.call<{ at: number; healed: Record<string, number> }[]>({ op: 'heals' }); }
  counters() { return this.call<EgressCounters>({ op: 'counters' }); }
  kill() { this.proc.kill('SIGKILL'); }
}
