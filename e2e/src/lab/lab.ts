// The whole system on one machine (DESIGN §7): a real etcd + kube-apiserver, the lab network, the
// echo server, one node-agent per node namespace and the gateway-manager twice. `Lab.up()` builds it,
// `lab.down()` removes every trace; an exit/SIGINT/SIGTERM hook does the same synchronously when a run
// is interrupted. The suites, the demo, the benchmarks and the CLI all drive the lab through this
// class, a facade over one part per concern:
//   network.ts  namespaces, links, pod networks; faults (node cut off the LAN, apiserver cut)
//   daemons.ts  echo server, apiserver relays, node-agents, managers: start, health, kill
//   api.ts      CRDs/RBAC/kubeconfigs, Node and Pod objects, Services, pools, policies
//   observe.ts  who holds which egress IP, what source the external server sees, probes
// The parts share one LabContext (context.ts): names, directories, state file, process registry.
import { ArpCapture, nodeMacs } from './arp.js';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { onProcessExit, type Daemon } from '../k8s/daemon.js';
import { startCluster, type Cluster } from '../k8s/cluster.js';
import * as A from './addressing.js';
import { LabApi, type LabPod, type SeipView } from './api.js';
import { LabCloud } from './cloud.js';
import { LabContext, type LabOptions } from './context.js';
import { AGENT_MAIN, LabDaemons, MANAGER_MAIN } from './daemons.js';
import type { EchoEntry } from './echo-log.js';
import { KubeClient } from './kube.js';
import { randomPrefix, type LabNames } from './names.js';
import type * as O from './objects.js';
import { LabNetwork } from './network.js';
import { LabObserver, type Probe } from './observe.js';
import { keptLogsBase } from './state.js';
import { planTopology, range, type TopologyPlan } from './topology.js';
import { hasIPv4, parseLabIPFamilies } from './ipv6.js';
import { waitFor } from './wait.js';

export type { LabOptions } from './context.js';
export type { LabPod, SeipView } from './api.js';
export { Probe } from './observe.js';
export { sleep, waitFor } from './wait.js';

export class Lab {
  readonly network: LabNetwork;
  readonly processes: LabDaemons;
  readonly api: LabApi;
  readonly observe: LabObserver;
  /** Cloud mode only (`cloud: true`): moto, the VPC and its fabric. */
  readonly cloud: LabCloud | undefined;
  private readonly ctx: LabContext;
  private removeExitHook: (() => void) | undefined;
  private tornDown = false;

  private constructor(readonly plan: TopologyPlan, readonly opts: LabOptions) {
    this.ctx = new LabContext(plan, opts);
    this.network = new LabNetwork(this.ctx);
    this.processes = new LabDaemons(this.ctx);
    this.api = new LabApi(this.ctx, this.network);
    this.observe = new LabObserver(this.ctx, this.network, this.api);
    this.cloud = opts.cloud ? new LabCloud(this.ctx) : undefined;
  }

  static async up(opts: LabOptions = {}): Promise<Lab> {
    const families = parseLabIPFamilies(opts.ipFamilies); // a bad value fails before anything is built
    if (opts.cloud && !hasIPv4(families)) throw new Error('cloud mode runs with IPv4 (ipFamilies [\'IPv6\'] has none)');
    const plan = planTopology({
      prefix: opts.prefix ?? randomPrefix(), nodes: opts.nodes ?? 3, managers: opts.managers ?? 2,
      overlay: (opts.overlay ?? false) || (opts.cloud ?? false), ...(hasIPv4(families) ? {} : { ipv4: false }),
    });
    const lab = new Lab(plan, opts);
    try {
      await lab.bringUp();
      return lab;
    } catch (err) {
      lab.log(`bring-up failed: ${(err as Error).message}`);
      await lab.down({ keepLogs: true });
      throw err;
    }
  }

  // --- the run ----------------------------------------------------------------------------------

  get names(): LabNames { return this.ctx.names; }
  get prefix(): string { return this.plan.prefix; }
  get dir(): string { return this.ctx.dir; }
  get logDir(): string { return this.ctx.logDir; }
  get echoLogPath(): string { return this.ctx.echoLogPath; }
  get log(): (line: string) => void { return this.ctx.log; }
  get cluster(): Cluster { return this.ctx.cluster; }
  get kube(): KubeClient { return this.ctx.kube; }
  get mode(): 'direct' | 'vxlan' { return this.processes.mode; }
  nodeName(i: number): string { return this.ctx.nodeName(i); }
  nodeIndex(name: string): number { return Number(name.replace(/^node-/, '')); }
  /** Node i's InternalIP: IPv4, or IPv6 in an IPv6-only lab. */
  nodeIP(i: number): string { return this.ctx.nodeAddress(i); }
  get nodeIndexes(): number[] { return this.ctx.nodeIndexes; }

  private async bringUp(): Promise<void> {
    const { ctx } = this;
    mkdirSync(ctx.logDir, { recursive: true });
    ctx.saveState();
    this.removeExitHook = onProcessExit(() => this.destroySync());
    ctx.log(`bringing up ${this.plan.nodes} nodes (${this.plan.overlay ? 'overlay CNI over VXLAN' : 'host-gw CNI'}), ` +
      `${this.plan.managers} managers; state in ${ctx.dir}`);

    // The cluster boots while the network is built.
    const clusterP = startCluster({ quiet: false, serviceCIDR: A.SERVICE_CIDR, ...(this.opts.apiServerArgs ? { apiServerArgs: this.opts.apiServerArgs } : {}) });
    clusterP.catch(() => undefined);
    await this.network.build();
    this.processes.startEcho();
    await this.cloud?.startMoto();

    this.attachCluster(await clusterP);
    this.processes.creds = await this.api.setUp();
    const gateways = new Set(this.opts.gatewayNodes ?? this.nodeIndexes);
    await this.api.registerNodes(gateways);
    if (this.cloud) {
      await this.cloud.buildVpc(gateways, this.opts.cloudGatewayType ?? 't3.micro');
      await this.cloud.startFabric();
      this.processes.cloud = { args: this.cloud.managerArgs(), env: this.cloud.managerEnv() };
    }

    await this.processes.waitEcho();
    await this.processes.checkApiFromNetns(this.names.nodeNs(1));
    if (this.opts.daemons ?? true) await this.startDaemons();
    ctx.state.phase = 'up';
    ctx.saveState();
    ctx.log('lab is up');
  }

  private attachCluster(cluster: Cluster): void {
    const { ctx } = this;
    ctx.cluster = cluster;
    ctx.state.clusterDir = cluster.dir;
    ctx.state.apiServer = cluster.server;
    ctx.state.adminKubeconfig = cluster.adminKubeconfigPath;
    ctx.kube = new KubeClient(cluster.adminKubeconfigPath);
    this.processes.startRelays();
    ctx.saveState();
  }

  /** The node-agents (unless `agents: false`), then the managers; waits for health and a Lease holder. */
  private async startDaemons(): Promise<void> {
    const agents = this.opts.agents ?? true;
    for (const main of agents ? [AGENT_MAIN, MANAGER_MAIN] : [MANAGER_MAIN]) {
      if (!existsSync(main)) throw new Error(`${main} does not exist yet (start the lab with daemons: false / --no-daemons)`);
    }
    if (agents) for (const i of this.nodeIndexes) this.processes.startAgent(i);
    for (const m of range(this.plan.managers)) this.processes.startManager(m);
    this.ctx.saveState();
    if (agents) {
      await this.processes.waitAgentsHealthy();
      this.log(`node-agents healthy on ${this.nodeIndexes.map((i) => this.nodeName(i)).join(', ')}`);
    }
    if (this.plan.managers > 0) {
      const holder = await waitFor('a manager to take the Lease', () => this.api.leaseHolder(), 60_000, 300);
      this.log(`gateway-manager leader: ${holder}`);
    }
  }

  // --- network and faults (network.ts) ------------------------------------------------------------

  cutNode(i: number): Promise<void> { return this.network.cutNode(i); }
  restoreNode(i: number): Promise<void> { return this.network.restoreNode(i); }
  isCut(i: number): boolean { return this.network.isCut(i); }
  cutApi(i: number): Promise<void> { return this.network.cutApi(i); }
  restoreApi(i: number): Promise<void> { return this.network.restoreApi(i); }
  cutManagers(i: number): Promise<void> { return this.network.cutManagers(i); }
  restoreManagers(i: number): Promise<void> { return this.network.restoreManagers(i); }
  /** Every ARP frame on the LAN until stop() (issue 14). */
  captureArp(): Promise<ArpCapture> { return ArpCapture.start(this.ctx); }
  /** uplink MAC → node name */
  nodeMacs(): Promise<Map<string, string>> { return nodeMacs(this.ctx); }
  /** From inside `pod`, GET http://<ip>:9310/healthz every `intervalMs` (a pod or a monitor polling an agent), until stop. */
  pollHealthz(pod: LabPod, ip: string, intervalMs = 50): () => Promise<void> {
    const req = 'GET /healthz HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n';
    const d = this.ctx.daemon(`healthz-poller-${pod.name}`, pod.netns, 'sh', ['-c',
      `while :; do printf '${req}' | socat -T1 - TCP:${ip}:9310,connect-timeout=1 >/dev/null 2>&1; sleep ${intervalMs / 1000}; done`]);
    d.start();
    return () => d.stop('SIGTERM', 3_000);
  }

  /** The router asks who-has `ip` every `intervalMs` (as a busy router would), until the returned stop. */
  routerAsks(ip: string, intervalMs = 100): () => Promise<void> {
    // iputils arping takes whole seconds for -i: one broadcast request per process instead
    const d = this.ctx.daemon(`router-arping-${ip}`, this.names.routerNs, 'sh', ['-c',
      `while :; do arping -q -b -c 1 -w 1 -I ${this.names.routerLan} ${ip} & sleep ${intervalMs / 1000}; done`]);
    d.start();
    return () => d.stop('SIGTERM', 3_000);
  }

  // --- daemons (daemons.ts) -----------------------------------------------------------------------

  get agents(): Map<number, Daemon> { return this.processes.agents; }
  get managers(): Map<number, Daemon> { return this.processes.managers; }
  startAgent(i: number): Daemon { return this.processes.startAgent(i); }
  startManager(m: number): Daemon { return this.processes.startManager(m); }
  killAgent(i: number, signal?: NodeJS.Signals): Promise<void> { return this.processes.killAgent(i, signal); }
  killManager(m: number, signal?: NodeJS.Signals): Promise<void> { return this.processes.killManager(m, signal); }
  waitAgentsHealthy(nodes?: number[], timeoutMs?: number): Promise<void> { return this.processes.waitAgentsHealthy(nodes, timeoutMs); }

  // --- API objects (api.ts) -----------------------------------------------------------------------

  addPod(p: { namespace: string; name: string; node: number; labels?: Record<string, string> }): Promise<LabPod> { return this.api.addPod(p); }
  deletePod(pod: LabPod): Promise<void> { return this.api.deletePod(pod); }
  listPods(): LabPod[] { return this.api.listPods(); }
  ensureNamespace(name: string, labels?: Record<string, string>): Promise<void> { return this.api.ensureNamespace(name, labels); }
  addService(namespace: string, name: string, selector: Record<string, string>): Promise<void> { return this.api.addService(namespace, name, selector); }
  applyPool(p: O.PoolInput): Promise<void> { return this.api.applyPool(p); }
  applyPolicy(s: O.SeipInput): Promise<void> { return this.api.applyPolicy(s); }
  deletePolicy(namespace: string, name: string): Promise<void> { return this.api.deletePolicy(namespace, name); }
  getPolicy(namespace: string, name: string): Promise<SeipView | undefined> { return this.api.getPolicy(namespace, name); }
  leaseHolder(): Promise<string | undefined> { return this.api.leaseHolder(); }

  // --- observation (observe.ts) -------------------------------------------------------------------

  holders(opts?: { includeCut?: boolean }): Promise<Map<string, string[]>> { return this.observe.holders(opts); }
  waitAssigned(namespace: string, name: string, timeoutMs?: number): Promise<Map<string, string>> { return this.observe.waitAssigned(namespace, name, timeoutMs); }
  sourceIPSeen(pod: LabPod, dst?: string): Promise<string> { return this.observe.sourceIPSeen(pod, dst); }
  waitSourceIP(pod: LabPod, want: string, opts?: { dst?: string; timeoutMs?: number }): Promise<number> { return this.observe.waitSourceIP(pod, want, opts); }
  startProbe(pod: LabPod, opts?: { mode?: 'udp' | 'stream'; intervalMs?: number; target?: string }): Probe { return this.observe.startProbe(pod, opts); }
  echoLog(sinceMs?: number): EchoEntry[] { return this.observe.echoLog(sinceMs); }

  // --- teardown ---------------------------------------------------------------------------------

  /** Stops everything, deletes every namespace of this run and the state directory. Idempotent. */
  async down(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const { ctx } = this;
    ctx.state.phase = 'stopping';
    try { ctx.saveState(); } catch { /* dir may be gone */ }
    ctx.log('tearing down');
    // Daemons in lab namespaces die with a short grace; the netns sweep catches their children.
    await this.processes.stopAll();
    this.cloud?.stop();
    ctx.kube?.close();
    const failed = this.network.destroySync();
    if (failed.length) ctx.log(`WARNING: could not delete: ${failed.join('; ')}`);
    if (opts.keepLogs && ctx.cluster) {
      // One place for everything a failed run leaves: the apiserver and etcd logs join ours.
      for (const f of [ctx.cluster.logs.apiServer, ctx.cluster.logs.etcd]) {
        try { cpSync(f, join(ctx.logDir, basename(f))); } catch { /* not written yet */ }
      }
    }
    await ctx.cluster?.stop();
    this.finishDir(opts.keepLogs ?? false);
    this.removeExitHook?.();
    ctx.log('teardown complete');
  }

  private finishDir(keepLogs: boolean): void {
    if (keepLogs && existsSync(this.logDir)) {
      const kept = join(keptLogsBase(), this.prefix);
      mkdirSync(kept, { recursive: true });
      cpSync(this.logDir, kept, { recursive: true });
      this.log(`logs kept in ${kept}`);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Exit/signal path: synchronous, no grace. */
  private destroySync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.processes.killAllSync();
    this.network.destroySync();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
