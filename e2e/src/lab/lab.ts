// The whole system on one machine (DESIGN §7): a real etcd + kube-apiserver, the lab network, the
// echo server, one node-agent per node namespace and the gateway-manager twice. `Lab.up()` builds it,
// `lab.down()` removes every trace; an exit/SIGINT/SIGTERM hook does the same synchronously when a run
// is interrupted. The suites, the demo and the CLI all drive the lab through this class.
import { SYSTEM_NAMESPACE } from '@static-egress/crds';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon, onProcessExit } from '../k8s/daemon.js';
import { startCluster, type Cluster } from '../k8s/cluster.js';
import { REPO_ROOT } from '../k8s/binaries.js';
import * as A from './addressing.js';
import { addNetns, applyScripts, destroyNetnsSync, inNetns, listNetns, tryInNetns } from './exec.js';
import { KubeClient } from './kube.js';
import { loadShippedManifests, type ShippedManifests } from './manifests.js';
import { randomPrefix, type LabNames } from './names.js';
import * as O from './objects.js';
import { analyzeProbe, type ProbeRecord, type ProbeReport } from './probe-analysis.js';
import { keptLogsBase, labBaseDir, writeState, type LabState } from './state.js';
import { planTopology, range, renderPod, renderTopology, type TopologyPlan } from './topology.js';
import { readEchoLog, type EchoEntry } from './echo-log.js';

export interface LabOptions {
  nodes?: number;
  managers?: number;
  overlay?: boolean;
  /** Nodes labelled staticegress.io/gateway="" (default: all). */
  gatewayNodes?: number[];
  /** Start the node-agents and managers (default true; false = network + cluster only). */
  daemons?: boolean;
  /** Start the node-agents (default true; false = managers only, for debugging the control plane). */
  agents?: boolean;
  agentArgs?: string[];
  managerArgs?: string[];
  prefix?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface LabPod {
  namespace: string;
  name: string;
  node: number;
  ip: string;
  netns: string;
  index: number;
  labels: Record<string, string>;
}

const TSX = fileURLToPath(import.meta.resolve('tsx'));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const AGENT_MAIN = join(REPO_ROOT, 'packages/node-agent/src/main.ts');
const MANAGER_MAIN = join(REPO_ROOT, 'packages/gateway-manager/src/main.ts');

async function hasCommand(cmd: string): Promise<boolean> {
  const { execa } = await import('execa');
  return (await execa('sh', ['-c', `command -v ${cmd}`], { reject: false })).exitCode === 0;
}

export function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

/** Polls `fn` until it returns a value other than undefined/false, or throws with `what` after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastErr ? ` (last error: ${(lastErr as Error).message})` : ''));
    }
    await sleep(everyMs);
  }
}

export class Lab {
  readonly names: LabNames;
  readonly dir: string;
  readonly logDir: string;
  cluster!: Cluster;
  kube!: KubeClient;
  manifests!: ShippedManifests;
  readonly agents = new Map<number, Daemon>();
  readonly managers = new Map<number, Daemon>();
  private readonly daemons: Daemon[] = [];
  private readonly pods: LabPod[] = [];
  private podCounter = 0;
  private readonly podsPerNode = new Map<number, number>();
  private readonly cut = new Set<number>();
  private agentKubeconfig = '';
  private managerKubeconfig = '';
  private removeExitHook: (() => void) | undefined;
  private tornDown = false;
  private readonly t0 = Date.now();
  readonly echoLogPath: string;
  private state: LabState;
  readonly log: (line: string) => void;

  private constructor(readonly plan: TopologyPlan, readonly opts: LabOptions) {
    this.names = plan.names;
    this.dir = join(labBaseDir(), plan.prefix);
    this.logDir = join(this.dir, 'logs');
    this.echoLogPath = join(this.logDir, 'echo-server.jsonl');
    const out = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    this.log = (l) => out(`[lab ${plan.prefix} +${((Date.now() - this.t0) / 1000).toFixed(1)}s] ${l}`);
    this.state = {
      prefix: plan.prefix, ownerPid: process.pid, dir: this.dir, startedAt: new Date().toISOString(),
      nodes: plan.nodes, managers: plan.managers, overlay: plan.overlay, netns: plan.allNetns, daemons: [],
      phase: 'starting',
    };
  }

  get prefix(): string { return this.plan.prefix; }
  get mode(): 'direct' | 'vxlan' { return this.plan.overlay ? 'vxlan' : 'direct'; }
  nodeName(i: number): string { return `node-${i}`; }
  nodeIndex(name: string): number { return Number(name.replace(/^node-/, '')); }
  nodeIP(i: number): string { return A.nodeIP(i); }
  get nodeIndexes(): number[] { return range(this.plan.nodes); }

  static async up(opts: LabOptions = {}): Promise<Lab> {
    const plan = planTopology({
      prefix: opts.prefix ?? randomPrefix(), nodes: opts.nodes ?? 3, managers: opts.managers ?? 2,
      overlay: opts.overlay ?? false,
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

  private saveState(): void {
    this.state.daemons = this.daemons.map((d) => ({ name: d.name, pid: d.pid, log: d.logPath }));
    writeState(this.state);
  }

  private async bringUp(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    this.saveState();
    this.removeExitHook = onProcessExit(() => this.destroySync());
    const n = this.names;
    this.log(`bringing up ${this.plan.nodes} nodes (${this.plan.overlay ? 'overlay CNI over VXLAN' : 'host-gw CNI'}), ` +
      `${this.plan.managers} managers; state in ${this.dir}`);

    // The cluster boots while the network is built.
    const clusterP = startCluster({ quiet: false, serviceCIDR: A.SERVICE_CIDR });
    clusterP.catch(() => undefined);
    await addNetns(this.plan.allNetns);
    let scripts = renderTopology(this.plan);
    if (scripts.some((s) => s.tool === 'nft') && !(await hasCommand('nft'))) {
      this.log('WARNING: nft (package nftables) is missing: the LAN will NOT drop pod-addressed frames in the overlay variant');
      scripts = scripts.filter((s) => s.tool !== 'nft');
    }
    await applyScripts(scripts);
    this.log(`network: ${this.plan.allNetns.length} namespaces (${this.plan.allNetns.join(' ')})`);
    this.startEcho();

    this.cluster = await clusterP;
    this.state.clusterDir = this.cluster.dir;
    this.state.apiServer = this.cluster.server;
    this.state.adminKubeconfig = this.cluster.adminKubeconfigPath;
    this.kube = new KubeClient(this.cluster.adminKubeconfigPath);
    this.startRelays();
    this.saveState();

    await this.cluster.applyCRDs();
    this.manifests = await loadShippedManifests(REPO_ROOT,
      async (dir) => (await this.cluster.kubectl(['kustomize', dir])).stdout);
    for (const w of this.manifests.warnings) this.log(`WARNING: ${w}`);
    await this.cluster.kubectl(['apply', '-f', '-'], { input: this.manifests.rbacYaml });
    await this.cluster.ensureNamespace(SYSTEM_NAMESPACE);
    const server = `https://127.0.0.1:${A.API_PORT_IN_NETNS}`;
    this.agentKubeconfig = await this.cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE,
      this.manifests.agentServiceAccount, { server });
    this.managerKubeconfig = await this.cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE,
      this.manifests.managerServiceAccount, { server });
    this.log(`CRDs, RBAC applied; agents run as ${SYSTEM_NAMESPACE}/${this.manifests.agentServiceAccount}, ` +
      `managers as ${SYSTEM_NAMESPACE}/${this.manifests.managerServiceAccount}`);

    const gateways = new Set(this.opts.gatewayNodes ?? this.nodeIndexes);
    for (const i of this.nodeIndexes) {
      await this.kube.apply(O.paths.node(this.nodeName(i)), O.nodeObject(this.nodeName(i), A.nodeIP(i), gateways.has(i)));
      await this.kube.patch(O.paths.nodeStatus(this.nodeName(i)), O.nodeStatus(this.nodeName(i), A.nodeIP(i)));
    }
    this.log(`Node objects: ${this.nodeIndexes.map((i) => `${this.nodeName(i)}=${A.nodeIP(i)}` +
      (gateways.has(i) ? ' (gateway)' : '')).join(', ')}`);

    await this.waitEcho();
    await this.checkApiFromNetns(n.nodeNs(1));
    if (this.opts.daemons ?? true) {
      const agents = this.opts.agents ?? true;
      for (const main of agents ? [AGENT_MAIN, MANAGER_MAIN] : [MANAGER_MAIN]) {
        if (!existsSync(main)) throw new Error(`${main} does not exist yet (start the lab with daemons: false / --no-daemons)`);
      }
      if (agents) for (const i of this.nodeIndexes) this.startAgent(i);
      for (const m of range(this.plan.managers)) this.startManager(m);
      this.saveState();
      if (agents) {
        await this.waitAgentsHealthy();
        this.log(`node-agents healthy on ${this.nodeIndexes.map((i) => this.nodeName(i)).join(', ')}`);
      }
      if (this.plan.managers > 0) {
        const holder = await waitFor('a manager to take the Lease', () => this.leaseHolder(), 60_000, 300);
        this.log(`gateway-manager leader: ${holder}`);
      }
    }
    this.state.phase = 'up';
    this.saveState();
    this.log('lab is up');
  }

  // --- processes -------------------------------------------------------------------------------

  private daemon(name: string, netns: string | undefined, cmd: string, args: string[]): Daemon {
    const log = join(this.logDir, `${name}.log`);
    const d = netns ? new Daemon(name, 'ip', ['netns', 'exec', netns, cmd, ...args], log) : new Daemon(name, cmd, args, log);
    this.daemons.push(d);
    return d;
  }

  private nodeScript(script: string, args: string[]): [string, string[]] {
    return [process.execPath, ['--import', TSX, script, ...args]];
  }

  private startEcho(): void {
    const [cmd, args] = this.nodeScript(join(HERE, 'echo-server.ts'), ['--log', this.echoLogPath,
      '--addrs', `${A.ECHO_IP},${A.ECHO_IP_2}`]);
    this.daemon('echo-server', this.names.externalNs, cmd, args).start();
  }

  private async waitEcho(): Promise<void> {
    await waitFor('the echo server', async () => {
      const r = await tryInNetns(this.names.routerNs, 'socat', ['-T2', '-', `TCP:${A.ECHO_IP}:${A.ECHO_TCP_PORT}`]);
      return r.code === 0 && r.out.trim() === A.ROUTER_EXT_IP;
    }, 60_000, 300);
    this.log(`echo server on ${A.ECHO_IP}/${A.ECHO_IP_2} (tcp ${A.ECHO_TCP_PORT}, udp ${A.ECHO_UDP_PORT}, ` +
      `stream ${A.ECHO_STREAM_PORT}); record: ${this.echoLogPath}`);
  }

  get apiSocket(): string { return join(this.dir, 'api.sock'); }

  /** Root namespace: unix socket → apiserver; each API-using lab namespace: 127.0.0.1:6443 → unix socket. */
  private startRelays(): void {
    this.daemon('relay-root', undefined, 'socat',
      [`UNIX-LISTEN:${this.apiSocket},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${this.cluster.port}`]).start();
    const users = [...this.nodeIndexes.map(this.names.nodeNs), ...range(this.plan.managers).map(this.names.managerNs)];
    for (const ns of users) {
      this.daemon(`relay-${ns.slice(this.prefix.length + 1)}`, ns, 'socat',
        [`TCP-LISTEN:${A.API_PORT_IN_NETNS},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${this.apiSocket}`]).start();
    }
  }

  private async checkApiFromNetns(ns: string): Promise<void> {
    await waitFor(`the apiserver through the relay in ${ns}`, async () => {
      const r = await tryInNetns(ns, 'socat', ['-T2', '-', `TCP:127.0.0.1:${A.API_PORT_IN_NETNS}`]);
      return r.code === 0;
    }, 20_000, 200);
  }

  agentArgs(i: number): string[] {
    return [
      ...this.manifests.agentArgs,
      '--kubeconfig', this.agentKubeconfig,
      '--node-name', this.nodeName(i),
      '--mode', this.mode,
      '--uplink', this.names.nodeUplink(i),
      '--cluster-cidrs', A.CLUSTER_CIDRS.join(','),
      '--http-addr', `0.0.0.0:9310`,
      ...(this.opts.agentArgs ?? []),
    ];
  }

  startAgent(i: number): Daemon {
    let d = this.agents.get(i);
    if (!d) {
      const [cmd, args] = this.nodeScript(AGENT_MAIN, this.agentArgs(i));
      d = this.daemon(`agent-${this.nodeName(i)}`, this.names.nodeNs(i), cmd, args);
      this.agents.set(i, d);
    }
    d.start();
    this.saveState();
    return d;
  }

  startManager(m: number): Daemon {
    let d = this.managers.get(m);
    if (!d) {
      const [cmd, args] = this.nodeScript(MANAGER_MAIN, [
        ...this.manifests.managerArgs,
        '--kubeconfig', this.managerKubeconfig,
        '--identity', `manager-${m}`,
        '--http-addr', '0.0.0.0:9320',
        ...(this.opts.managerArgs ?? []),
      ]);
      d = this.daemon(`manager-${m}`, this.names.managerNs(m), cmd, args);
      this.managers.set(m, d);
    }
    d.start();
    this.saveState();
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
    return (await this.httpStatus(this.names.nodeNs(i), '127.0.0.1', 9310, '/healthz')) === 200;
  }

  async waitAgentsHealthy(nodes = this.nodeIndexes, timeoutMs = 90_000): Promise<void> {
    for (const i of nodes) {
      await waitFor(`node-agent on ${this.nodeName(i)} /healthz (log ${this.agents.get(i)?.logPath})`, async () => {
        const d = this.agents.get(i);
        if (d && !d.running) throw new Error(`agent exited (${d.exitReason}): ${d.logTail(5)}`);
        return this.agentHealthy(i);
      }, timeoutMs, 300);
    }
  }

  async leaseHolder(): Promise<string | undefined> {
    const lease = await this.kube.find<{ spec?: { holderIdentity?: string } }>(O.paths.lease(SYSTEM_NAMESPACE, 'static-egress-manager'));
    return lease?.spec?.holderIdentity || undefined;
  }

  async killAgent(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const d = this.agents.get(i);
    if (!d) return;
    if (signal === 'SIGKILL') { d.killSync(); await d.waitExit(); } else await d.stop(signal, 10_000);
  }

  async killManager(m: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const d = this.managers.get(m);
    if (!d) return;
    if (signal === 'SIGKILL') { d.killSync(); await d.waitExit(); } else await d.stop(signal, 10_000);
  }

  /** Cuts a node off the LAN (its bridge port goes down): the node is lost as far as anyone can tell. */
  async cutNode(i: number): Promise<void> {
    await inNetns(this.names.lanNs, 'ip', ['link', 'set', this.names.nodeLanPort(i), 'down']);
    this.cut.add(i);
  }

  async restoreNode(i: number): Promise<void> {
    await inNetns(this.names.lanNs, 'ip', ['link', 'set', this.names.nodeLanPort(i), 'up']);
    this.cut.delete(i);
  }

  /**
   * Cuts a node's daemons off the apiserver: its relay port (127.0.0.1:6443 in the node's namespace)
   * drops every packet, so open watches go silent and new requests hang, like a partition would.
   */
  async cutApi(i: number): Promise<void> {
    for (const rule of this.apiCutRules()) await inNetns(this.names.nodeNs(i), 'iptables', ['-I', ...rule]);
  }

  async restoreApi(i: number): Promise<void> {
    for (const rule of this.apiCutRules()) await inNetns(this.names.nodeNs(i), 'iptables', ['-D', ...rule]);
  }

  private apiCutRules(): string[][] {
    const comment = ['-m', 'comment', '--comment', `${this.prefix} lab: apiserver cut`];
    return ['--dport', '--sport'].map((dir) => ['INPUT', '-i', 'lo', '-p', 'tcp', dir, String(A.API_PORT_IN_NETNS), ...comment, '-j', 'DROP']);
  }

  /** Nodes cut off the LAN: whatever their kernel still holds is unreachable and does not count. */
  isCut(i: number): boolean { return this.cut.has(i); }

  // --- pods and services --------------------------------------------------------------------

  /** A pod: namespace + veth on its node, and a Pod object bound to that node with status Running. */
  async addPod(p: { namespace: string; name: string; node: number; labels?: Record<string, string> }): Promise<LabPod> {
    const j = this.podsPerNode.get(p.node) ?? 0;
    this.podsPerNode.set(p.node, j + 1);
    const index = ++this.podCounter;
    const pod: LabPod = {
      namespace: p.namespace, name: p.name, node: p.node, ip: A.podIP(p.node, j), netns: this.names.podNs(index),
      index, labels: p.labels ?? {},
    };
    this.state.netns.push(pod.netns);
    this.saveState();
    await addNetns([pod.netns]);
    await applyScripts(renderPod(this.plan, { index, node: p.node, ip: pod.ip }));
    await this.kube.create(O.paths.pods(p.namespace),
      O.podObject({ namespace: p.namespace, name: p.name, nodeName: this.nodeName(p.node), labels: pod.labels }));
    await this.kube.patch(O.paths.podStatus(p.namespace, p.name), O.podStatus(pod.ip, A.nodeIP(p.node)));
    this.pods.push(pod);
    this.state.pods = this.pods.map((x) => ({ namespace: x.namespace, name: x.name, node: this.nodeName(x.node), ip: x.ip, netns: x.netns }));
    this.saveState();
    this.log(`pod ${p.namespace}/${p.name} ${pod.ip} on ${this.nodeName(p.node)} (netns ${pod.netns})`);
    return pod;
  }

  async deletePod(pod: LabPod): Promise<void> {
    await this.kube.delete(`${O.paths.pod(pod.namespace, pod.name)}?gracePeriodSeconds=0`);
    destroyNetnsSync([pod.netns]);
    this.pods.splice(this.pods.indexOf(pod), 1);
  }

  listPods(): LabPod[] { return [...this.pods]; }

  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.cluster.ensureNamespace(name, labels);
  }

  /** A Service selecting `selector`, with the EndpointSlice the (absent) controller would write. */
  async addService(namespace: string, name: string, selector: Record<string, string>): Promise<void> {
    await this.kube.apply(O.paths.service(namespace, name), O.serviceObject(namespace, name, selector));
    const eps = this.pods.filter((p) => p.namespace === namespace &&
      Object.entries(selector).every(([k, v]) => p.labels[k] === v))
      .map((p) => ({ ip: p.ip, nodeName: this.nodeName(p.node), podName: p.name }));
    await this.kube.apply(O.paths.endpointSlice(namespace, `${name}-lab`), O.endpointSliceObject(namespace, name, eps));
  }

  async applyPool(p: O.PoolInput): Promise<void> {
    await this.kube.apply(O.paths.pool(p.name), O.poolObject(p));
  }

  async applyPolicy(s: O.SeipInput): Promise<void> {
    await this.kube.apply(O.paths.seip(s.namespace, s.name), O.seipObject(s));
  }

  async deletePolicy(namespace: string, name: string): Promise<void> {
    await this.kube.delete(O.paths.seip(namespace, name));
  }

  async getPolicy(namespace: string, name: string): Promise<SeipView | undefined> {
    return this.kube.find<SeipView>(O.paths.seip(namespace, name));
  }

  /** Waits until the policy's status assigns every egress IP and the IPs are on those nodes' uplinks. */
  async waitAssigned(namespace: string, name: string, timeoutMs = 60_000): Promise<Map<string, string>> {
    return waitFor(`${namespace}/${name} to be assigned and programmed`, async () => {
      const p = await this.getPolicy(namespace, name);
      const want = p?.spec.egressIPs ?? [];
      const got = new Map((p?.status?.assignments ?? []).map((a) => [a.egressIP, a.node]));
      if (want.length === 0 || !want.every((ip) => got.get(ip))) return undefined;
      const held = await this.holders();
      return want.every((ip) => (held.get(ip) ?? []).join() === got.get(ip)) ? got : undefined;
    }, timeoutMs, 250);
  }

  // --- observing the data path ------------------------------------------------------------------

  /**
   * Egress addresses present on each node's uplink: ip → nodes holding it (more than one is a bug).
   * Nodes cut off the LAN are left out unless `includeCut` (a dead node cannot clean up).
   */
  async holders(opts: { includeCut?: boolean } = {}): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    await Promise.all(this.nodeIndexes.filter((i) => opts.includeCut || !this.cut.has(i)).map(async (i) => {
      const r = await tryInNetns(this.names.nodeNs(i), 'ip', ['-j', '-4', 'addr', 'show', 'dev', this.names.nodeUplink(i)]);
      if (r.code !== 0) return;
      const links = JSON.parse(r.out.split('\n')[0] || '[]') as { addr_info?: { local: string }[] }[];
      for (const a of links.flatMap((l) => l.addr_info ?? [])) {
        if (a.local === A.nodeIP(i)) continue;
        out.set(a.local, [...(out.get(a.local) ?? []), this.nodeName(i)].sort());
      }
    }));
    return out;
  }

  /** One TCP connection from the pod to the echo server; resolves the source address it saw. */
  async sourceIPSeen(pod: LabPod, dst = A.ECHO_IP): Promise<string> {
    const r = await tryInNetns(pod.netns, 'socat', ['-T3', '-', `TCP:${dst}:${A.ECHO_TCP_PORT},connect-timeout=3`]);
    if (r.code !== 0) throw new Error(`pod ${pod.name} → ${dst}:${A.ECHO_TCP_PORT} failed: ${r.out}`);
    return r.out.trim();
  }

  /**
   * Polls until the pod's connections to `dst` arrive with source `want`; resolves with the ms it
   * took. Agents learn of pods and policies through their own watches, a moment after the API (and
   * after the manager) does, so one immediate check would race them. On timeout the error names
   * the source the external server saw last.
   */
  async waitSourceIP(pod: LabPod, want: string, opts: { dst?: string; timeoutMs?: number } = {}): Promise<number> {
    const t = Date.now();
    let last = '(no answer)';
    await waitFor(`${pod.namespace}/${pod.name} to leave with ${want}`, async () => {
      last = await this.sourceIPSeen(pod, opts.dst).catch((e: Error) => e.message);
      return last === want;
    }, opts.timeoutMs ?? 30_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}; the external server last saw ${last}`);
    });
    return Date.now() - t;
  }

  /** Starts a continuous prober in the pod; `stop()` ends it and resolves its record. */
  startProbe(pod: LabPod, opts: { mode?: 'udp' | 'stream'; intervalMs?: number; target?: string } = {}): Probe {
    const mode = opts.mode ?? 'udp';
    const out = join(this.logDir, `probe-${pod.name}-${Date.now()}.json`);
    const [cmd, args] = this.nodeScript(join(HERE, 'probe.ts'), ['--mode', mode, '--target', opts.target ?? A.ECHO_IP,
      '--interval', String(opts.intervalMs ?? (mode === 'udp' ? 5 : 20)), '--out', out]);
    const d = this.daemon(`probe-${pod.name}-${mode}`, pod.netns, cmd, args);
    d.start();
    return new Probe(d, out);
  }

  echoLog(sinceMs = 0): EchoEntry[] {
    return readEchoLog(this.echoLogPath, sinceMs);
  }

  // --- teardown ---------------------------------------------------------------------------------

  /** Stops everything, deletes every namespace of this run and the state directory. Idempotent. */
  async down(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.state.phase = 'stopping';
    try { this.saveState(); } catch { /* dir may be gone */ }
    this.log('tearing down');
    // Daemons in lab namespaces die with a short grace; the netns sweep catches their children.
    await Promise.all(this.daemons.filter((d) => !d.name.startsWith('relay')).map((d) => d.stop('SIGTERM', 2_000)));
    await Promise.all(this.daemons.map((d) => d.stop('SIGTERM', 2_000)));
    this.kube?.close();
    const failed = destroyNetnsSync(this.allNetns());
    if (failed.length) this.log(`WARNING: could not delete: ${failed.join('; ')}`);
    if (opts.keepLogs && this.cluster) {
      // One place for everything a failed run leaves: the apiserver and etcd logs join ours.
      for (const f of [this.cluster.logs.apiServer, this.cluster.logs.etcd]) {
        try { cpSync(f, join(this.logDir, basename(f))); } catch { /* not written yet */ }
      }
    }
    await this.cluster?.stop();
    this.finishDir(opts.keepLogs ?? false);
    this.removeExitHook?.();
    this.log('teardown complete');
  }

  private allNetns(): string[] {
    const mine = listNetns().filter((ns) => ns.startsWith(`${this.prefix}-`));
    return [...new Set([...this.state.netns, ...mine])];
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
    for (const d of this.daemons) d.killSync();
    destroyNetnsSync(this.allNetns());
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Probe {
  constructor(readonly daemon: Daemon, readonly outPath: string) {}

  async stop(): Promise<ProbeRecord> {
    await this.daemon.stop('SIGTERM', 5_000);
    const { readFileSync } = await import('node:fs');
    try {
      return JSON.parse(readFileSync(this.outPath, 'utf8')) as ProbeRecord;
    } catch (err) {
      throw new Error(`probe wrote no record (${this.daemon.exitReason}; log ${this.daemon.logPath}): ${(err as Error).message}`);
    }
  }

  async stopAndAnalyze(expected: string | string[]): Promise<ProbeReport & { record: ProbeRecord }> {
    const record = await this.stop();
    return { ...analyzeProbe(record, expected), record };
  }
}

export interface SeipView {
  metadata: { name: string; namespace: string; generation?: number; uid?: string };
  spec: { egressIPs: string[] };
  status?: {
    observedGeneration?: number;
    assignments?: { egressIP: string; node: string }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}
