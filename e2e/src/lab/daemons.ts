// The lab's processes: the echo server on the external host, the socat relays that carry the
// apiserver into the lab namespaces, one node-agent per node and the gateway-managers, with their
// health checks, kills and restarts. Each runs in its own namespace and logs to logs/<name>.log.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../k8s/binaries.js';
import type { Daemon } from '../k8s/daemon.js';
import * as A from './addressing.js';
import type { LabContext } from './context.js';
import { tryInNetns } from './exec.js';
import { CLUSTER_CIDRS6, ECHO_IP6, ECHO_IP6_2, ECHO_IP6_3, ROUTER_EXT_IP6 } from './ipv6.js';
import type { ShippedManifests } from './manifests.js';
import { range } from './topology.js';
import { waitFor } from './wait.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const AGENT_MAIN = join(REPO_ROOT, 'packages/node-agent/src/main.ts');
export const MANAGER_MAIN = join(REPO_ROOT, 'packages/gateway-manager/src/main.ts');

/** What the daemons need from the API set-up: the shipped arguments and their service-account kubeconfigs. */
export interface DaemonCredentials {
  manifests: ShippedManifests;
  agentKubeconfig: string;
  managerKubeconfig: string;
  /** the key the managers sign their probes with (the Secret static-egress-probe-key, as a file) */
  probeKeyFile: string;
}

export class LabDaemons {
  readonly agents = new Map<number, Daemon>();
  readonly managers = new Map<number, Daemon>();
  creds!: DaemonCredentials;
  /** Cloud mode: the managers' extra flags and their environment (`env` assignments). */
  cloud: { args: string[]; env: string[] } | undefined;

  constructor(private readonly ctx: LabContext) {}

  get apiSocket(): string { return join(this.ctx.dir, 'api.sock'); }
  get mode(): 'direct' | 'vxlan' { return this.ctx.plan.overlay ? 'vxlan' : 'direct'; }

  startEcho(): void {
    const [cmd, args] = this.ctx.nodeScript(join(HERE, 'echo-server.ts'), ['--log', this.ctx.echoLogPath,
      '--addrs', [...(this.ctx.ipv4 ? [A.ECHO_IP, A.ECHO_IP_2, A.ECHO_IP_3] : []), ...(this.ctx.ipv6 ? [ECHO_IP6, ECHO_IP6_2, ECHO_IP6_3] : [])].join(',')]);
    this.ctx.daemon('echo-server', this.ctx.names.externalNs, cmd, args).start();
  }

  async waitEcho(): Promise<void> {
    // an IPv6-only lab's echo server has IPv6 addresses only (socat's form: [addr])
    const [echo, router] = this.ctx.ipv4 ? [A.ECHO_IP, A.ROUTER_EXT_IP] : [`[${ECHO_IP6}]`, ROUTER_EXT_IP6];
    await waitFor('the echo server', async () => {
      const r = await tryInNetns(this.ctx.names.routerNs, 'socat', ['-T2', '-', `TCP:${echo}:${A.ECHO_TCP_PORT}`]);
      return r.code === 0 && r.out.trim() === router;
    }, 60_000, 300);
    this.ctx.log(`echo server on ${this.ctx.ipv4 ? `${A.ECHO_IP}/${A.ECHO_IP_2}/${A.ECHO_IP_3}` : `${ECHO_IP6}/${ECHO_IP6_2}/${ECHO_IP6_3}`} (tcp ${A.ECHO_TCP_PORT}, udp ${A.ECHO_UDP_PORT}, ` +
      `stream ${A.ECHO_STREAM_PORT}); record: ${this.ctx.echoLogPath}`);
  }

  /** Root namespace: unix socket → apiserver; each API-using lab namespace: 127.0.0.1:6443 → unix socket. */
  startRelays(): void {
    const { ctx } = this;
    ctx.daemon('relay-root', undefined, 'socat',
      [`UNIX-LISTEN:${this.apiSocket},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${ctx.cluster.port}`]).start();
    const users = [...ctx.nodeIndexes.map(ctx.names.nodeNs), ...range(ctx.plan.managers).map(ctx.names.managerNs)];
    for (const ns of users) {
      ctx.daemon(`relay-${ns.slice(ctx.prefix.length + 1)}`, ns, 'socat',
        [`TCP-LISTEN:${A.API_PORT_IN_NETNS},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${this.apiSocket}`]).start();
    }
  }

  async checkApiFromNetns(ns: string): Promise<void> {
    await waitFor(`the apiserver through the relay in ${ns}`, async () => {
      const r = await tryInNetns(ns, 'socat', ['-T2', '-', `TCP:127.0.0.1:${A.API_PORT_IN_NETNS}`]);
      return r.code === 0;
    }, 20_000, 200);
  }

  agentArgs(i: number): string[] {
    return [
      ...this.creds.manifests.agentArgs,
      '--kubeconfig', this.creds.agentKubeconfig,
      '--node-name', this.ctx.nodeName(i),
      '--mode', this.mode,
      // an IPv6-only node finds its uplink by its IPv6 InternalIP (no --uplink: that is what is tested)
      ...(this.ctx.ipv4 ? ['--uplink', this.ctx.names.nodeUplink(i)] : []),
      '--cluster-cidrs', [...(this.ctx.ipv4 ? A.CLUSTER_CIDRS : []), ...(this.ctx.ipv6 ? CLUSTER_CIDRS6 : [])].join(','),
      '--http-addr', this.httpAddr(9310),
      '--probe-key-file', this.creds.probeKeyFile,
      ...(this.ctx.opts.agentArgs ?? []),
    ];
  }

  /** Every family where the lab has IPv6 (the managers probe an IPv6-only node over IPv6). */
  private httpAddr(port: number): string {
    return this.ctx.ipv6 ? `[::]:${port}` : `0.0.0.0:${port}`;
  }

  startAgent(i: number): Daemon {
    let d = this.agents.get(i);
    if (!d) {
      const [cmd, args] = this.ctx.daemonScript(this.ctx.opts.agentCommand, AGENT_MAIN, this.agentArgs(i));
      d = this.ctx.daemon(`agent-${this.ctx.nodeName(i)}`, this.ctx.names.nodeNs(i), cmd, args);
      this.agents.set(i, d);
    }
    d.start();
    this.ctx.saveState();
    return d;
  }

  startManager(m: number): Daemon {
    let d = this.managers.get(m);
    if (!d) {
      const [cmd, args] = this.ctx.daemonScript(this.ctx.opts.managerCommand, MANAGER_MAIN, [
        ...this.creds.manifests.managerArgs,
        '--kubeconfig', this.creds.managerKubeconfig,
        '--identity', `manager-${m}`,
        '--http-addr', this.httpAddr(9320),
        ...(this.cloud?.args ?? []),
        ...(this.ctx.opts.managerArgs ?? []),
      ]);
      d = this.cloud
        ? this.ctx.daemon(`manager-${m}`, this.ctx.names.managerNs(m), 'env', [...this.cloud.env, cmd, ...args])
        : this.ctx.daemon(`manager-${m}`, this.ctx.names.managerNs(m), cmd, args);
      this.managers.set(m, d);
    }
    d.start();
    this.ctx.saveState();
    return d;
  }

  /** GET http://<ip>:<port><path> from inside `ns`; resolves the status code (0 when unreachable). */
  async httpStatus(ns: string, ip: string, port: number, path: string): Promise<number> {
    const r = await tryInNetns(ns, 'sh', ['-c',
      `printf 'GET ${path} HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' | socat -T2 - TCP:${ip}:${port},connect-timeout=1`]);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(r.out);
    return m ? Number(m[1]) : 0;
  }

  async agentHealthy(i: number): Promise<boolean> {
    return (await this.httpStatus(this.ctx.names.nodeNs(i), '127.0.0.1', 9310, '/healthz')) === 200;
  }

  async waitAgentsHealthy(nodes = this.ctx.nodeIndexes, timeoutMs = 90_000): Promise<void> {
    for (const i of nodes) {
      await waitFor(`node-agent on ${this.ctx.nodeName(i)} /healthz (log ${this.agents.get(i)?.logPath})`, async () => {
        const d = this.agents.get(i);
        if (d && !d.running) throw new Error(`agent exited (${d.exitReason}): ${d.logTail(5)}`);
        return this.agentHealthy(i);
      }, timeoutMs, 300);
    }
  }

  async killAgent(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await kill(this.agents.get(i), signal);
  }

  async killManager(m: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await kill(this.managers.get(m), signal);
  }

  /** Teardown: the daemons first, the relays last (daemons in lab namespaces die with a short grace). */
  async stopAll(): Promise<void> {
    const all = this.ctx.daemons;
    await Promise.all(all.filter((d) => !d.name.startsWith('relay')).map((d) => d.stop('SIGTERM', 2_000)));
    await Promise.all(all.map((d) => d.stop('SIGTERM', 2_000)));
  }

  /** Exit/signal path: synchronous, no grace. */
  killAllSync(): void {
    for (const d of this.ctx.daemons) d.killSync();
  }
}

async function kill(d: Daemon | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!d) return;
  if (signal === 'SIGKILL') { d.killSync(); await d.waitExit(); } else await d.stop(signal, 10_000);
}
