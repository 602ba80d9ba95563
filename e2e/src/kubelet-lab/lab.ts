// The lab with real nodes: the same network (e2e/src/lab/topology.ts) and control plane
// (e2e/src/k8s) as the fast lab, plus kube-controller-manager and kube-scheduler, and on every
// node namespace a real containerd + kubelet + flanneld. Pods, the DaemonSet and the Deployment are
// real: `kubectl apply -k` starts them from the locally built image. Everything is run-specific:
// namespaces `sel…-*`, the run directory, the cgroup subtree `/sel…-kubelet`; teardown on success,
// failure and interrupt stops only what this run started (by PID, or by its cgroup subtree).
import { execa } from 'execa';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../k8s/binaries.js';
import { freePorts, startCluster, type Cluster, type KubectlOptions, type KubectlResult } from '../k8s/cluster.js';
import { Daemon, onProcessExit } from '../k8s/daemon.js';
import * as A from '../lab/addressing.js';
import { readEchoLog, type EchoEntry } from '../lab/echo-log.js';
import { addNetns, applyScripts, destroyNetnsSync, inNetns, listNetns, tryInNetns } from '../lab/exec.js';
import { KubeClient } from '../lab/kube.js';
import { waitFor } from '../lab/lab.js';
import { randomPrefix, type LabNames } from '../lab/names.js';
import { planTopology, range, renderTopology, type Script, type TopologyPlan } from '../lab/topology.js';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { resolveNodeArtifacts, type NodeArtifacts } from './artifacts.js';
import { renderFlannelNetConf, renderInstallKustomization, type FlannelBackend } from './config.js';
import { createRunCgroups, removeRunCgroups, unmountUnder } from './host.js';
import { KubeletNode } from './node.js';

export interface KubeletLabOptions {
  nodes?: number;
  backend?: FlannelBackend;
  prefix?: string;
  log?: (line: string) => void;
}

const ECHO_SERVER = fileURLToPath(new URL('../lab/echo-server.ts', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));
const SERVICE_IP = '203.0.113.225';

export function kubeletLabBaseDir(): string { return join(tmpdir(), 'static-egress-kubelet-lab'); }

/** Node namespaces keep their uplink and default route; the stand-in CNI of the fast lab goes. */
export function renderKubeletLabNetwork(plan: TopologyPlan): Script[] {
  const nodeNs = new Set(range(plan.nodes).map(plan.names.nodeNs));
  const kept = renderTopology(plan).filter((s) => !nodeNs.has(s.ns) || s.tool === 'sysctl');
  for (const i of range(plan.nodes)) {
    kept.push({ ns: plan.names.nodeNs(i), tool: 'sysctl', settings: { 'net.ipv4.ip_forward': '1' } });
    kept.push({ ns: plan.names.nodeNs(i), tool: 'ip', lines: [
      'link set lo up',
      `addr add ${A.nodeIP(i)}/${A.LAN_PREFIX_LEN} dev ${plan.names.nodeUplink(i)}`,
      `link set ${plan.names.nodeUplink(i)} up`,
      `route add default via ${A.ROUTER_LAN_IP}`,
    ] });
    kept.push({ ns: plan.names.nodeNs(i), tool: 'iptables-restore', text: renderApiServiceDnat(plan, i) });
  }
  return kept;
}

/**
 * No kube-proxy here: the `kubernetes` Service address (what in-cluster clients dial) is DNATed to
 * the node's apiserver relay, the one rule kube-proxy would contribute for it. Its own chain, named
 * with the run prefix.
 */
export function renderApiServiceDnat(plan: TopologyPlan, i: number): string {
  const chain = `${plan.prefix}-APISVC`;
  return ['*nat', `:${chain} - [0:0]`,
    `-A PREROUTING -d ${SERVICE_IP}/32 -p tcp --dport 443 -j ${chain}`,
    `-A OUTPUT -d ${SERVICE_IP}/32 -p tcp --dport 443 -j ${chain}`,
    `-A ${chain} -p tcp -j DNAT --to-destination ${A.nodeIP(i)}:${A.API_PORT_IN_NETNS}`,
    'COMMIT', ''].join('\n');
}

export class KubeletLab {
  readonly names: LabNames;
  readonly dir: string;
  readonly logDir: string;
  readonly echoLogPath: string;
  readonly nodes: KubeletNode[] = [];
  cluster!: Cluster;
  kube!: KubeClient;
  artifacts!: NodeArtifacts;
  private readonly daemons: Daemon[] = [];
  private removeExitHook: (() => void) | undefined;
  private tornDown = false;
  private readonly t0 = Date.now();
  readonly log: (line: string) => void;

  private constructor(readonly plan: TopologyPlan, readonly backend: FlannelBackend, opts: KubeletLabOptions) {
    this.names = plan.names;
    this.dir = join(kubeletLabBaseDir(), plan.prefix);
    this.logDir = join(this.dir, 'logs');
    this.echoLogPath = join(this.logDir, 'echo-server.jsonl');
    const out = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    this.log = (l) => out(`[kubelet-lab ${plan.prefix} +${((Date.now() - this.t0) / 1000).toFixed(1)}s] ${l}`);
  }

  get prefix(): string { return this.plan.prefix; }
  get runCgroup(): string { return `${this.prefix}-kubelet`; }
  get mode(): 'direct' | 'vxlan' { return this.backend === 'vxlan' ? 'vxlan' : 'direct'; }
  nodeName(i: number): string { return `node-${i}`; }

  static async up(opts: KubeletLabOptions = {}): Promise<KubeletLab> {
    const backend = opts.backend ?? 'host-gw';
    const plan = planTopology({ prefix: opts.prefix ?? randomPrefix(), nodes: opts.nodes ?? 2, managers: 0,
      overlay: backend === 'vxlan' });
    const lab = new KubeletLab(plan, backend, opts);
    try {
      await lab.bringUp();
      return lab;
    } catch (err) {
      lab.log(`bring-up failed: ${(err as Error).message}`);
      await lab.down({ keepLogs: true });
      throw err;
    }
  }

  private daemon(name: string, netns: string | undefined, cmd: string, args: string[]): Daemon {
    const log = join(this.logDir, `${name}.log`);
    const d = netns ? new Daemon(name, 'ip', ['netns', 'exec', netns, cmd, ...args], log) : new Daemon(name, cmd, args, log);
    this.daemons.push(d);
    d.start();
    return d;
  }

  private async bringUp(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    this.removeExitHook = onProcessExit(() => this.destroySync());
    this.log(`${this.plan.nodes} real nodes, flannel ${this.backend}; run dir ${this.dir}`);
    this.artifacts = await resolveNodeArtifacts((l) => this.log(l));
    const clusterP = startCluster({ quiet: true, serviceCIDR: A.SERVICE_CIDR });
    clusterP.catch(() => undefined);
    await addNetns(this.plan.allNetns);
    await applyScripts(renderKubeletLabNetwork(this.plan));
    this.daemon('echo-server', this.names.externalNs, process.execPath, ['--import', TSX, ECHO_SERVER,
      '--log', this.echoLogPath, '--addrs', `${A.ECHO_IP},${A.ECHO_IP_2}`]);
    this.cluster = await clusterP;
    this.kube = new KubeClient(this.cluster.adminKubeconfigPath);
    this.startRelays();
    await this.startControllers();
    createRunCgroups(this.runCgroup, range(this.plan.nodes).map((i) => this.nodeName(i)));
    await this.startNodes();
    await this.waitNodesReady();
    this.log('lab is up: every node Ready');
  }

  /** Root namespace: unix socket → apiserver; every node namespace: :6443 (all addresses) → socket. */
  private startRelays(): void {
    const sock = join(this.dir, 'api.sock');
    this.daemon('relay-root', undefined, 'socat', [`UNIX-LISTEN:${sock},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${this.cluster.port}`]);
    for (const i of range(this.plan.nodes)) {
      this.daemon(`relay-n${i}`, this.names.nodeNs(i), 'socat',
        [`TCP-LISTEN:${A.API_PORT_IN_NETNS},fork,reuseaddr`, `UNIX-CONNECT:${sock}`]);
    }
  }

  private async startControllers(): Promise<void> {
    const b = this.artifacts.bins;
    const kc = this.cluster.adminKubeconfigPath;
    const pki = join(this.cluster.dir, 'pki');
    const [cmPort, schedPort] = await freePorts(2) as [number, number];
    this.daemon('kube-controller-manager', undefined, b.kubeControllerManager, [
      `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1', `--secure-port=${cmPort}`, `--cert-dir=${join(this.dir, 'kcm-certs')}`,
      '--leader-elect=false', '--allocate-node-cidrs', `--cluster-cidr=${A.POD_CIDR}`, '--node-cidr-mask-size=27',
      `--service-cluster-ip-range=${A.SERVICE_CIDR}`, `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--service-account-private-key-file=${join(pki, 'sa.key')}`, '--use-service-account-credentials=false',
      '--node-monitor-grace-period=20s', '--v=1']);
    this.daemon('kube-scheduler', undefined, b.kubeScheduler, [
      `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1', `--secure-port=${schedPort}`, `--cert-dir=${join(this.dir, 'sched-certs')}`,
      '--leader-elect=false', '--v=1']);
  }

  private async startNodes(): Promise<void> {
    const cniBinDir = join(this.dir, 'cni-bin');
    mkdirSync(cniBinDir, { recursive: true });
    for (const p of ['bridge', 'host-local', 'loopback', 'portmap']) symlinkSync(`/usr/lib/cni/${p}`, join(cniBinDir, p));
    symlinkSync(this.artifacts.bins.flannelCni, join(cniBinDir, 'flannel'));
    const flannelNetConf = join(this.dir, 'flannel-net-conf.json');
    writeFileSync(flannelNetConf, renderFlannelNetConf({ network: A.POD_CIDR, subnetLen: 27, backend: this.backend,
      vni: 1, port: 8472 }));
    const shared = { runDir: this.dir, logDir: this.logDir, cniBinDir, flannelNetConf,
      sandboxImage: this.artifacts.pauseImage,
      bins: { kubelet: this.artifacts.bins.kubelet, flanneld: this.artifacts.bins.flanneld, containerd: 'containerd', ctr: 'ctr' } };
    for (const i of range(this.plan.nodes)) {
      const name = this.nodeName(i);
      const kubeconfig = await this.cluster.userKubeconfig(`system:node:${name}`, ['system:nodes', 'system:masters'],
        { server: `https://127.0.0.1:${A.API_PORT_IN_NETNS}` });
      const node = new KubeletNode({ name, index: i, netns: this.names.nodeNs(i), ip: A.nodeIP(i), uplink: this.names.nodeUplink(i),
        cgroupRoot: `/${this.runCgroup}/${name}`, kubeconfig, labels: { [GATEWAY_LABEL]: '' } }, shared);
      this.nodes.push(node);
      node.writeConfig();
    }
    await Promise.all(this.nodes.map(async (n) => {
      await n.startContainerd([this.artifacts.imageArchive, this.artifacts.pauseArchive]);
      n.startKubelet();
      n.startFlanneld();
    }));
    this.log(`containerd, kubelet, flanneld started on ${this.nodes.map((n) => n.spec.name).join(', ')}`);
  }

  async waitNodesReady(timeoutMs = 180_000): Promise<void> {
    await waitFor('every node Ready', async () => {
      for (const n of this.nodes) {
        for (const d of n.daemons) if (!d.running) throw new Error(`${d.name} exited (${d.exitReason}): ${d.logTail(8)}`);
      }
      const list = await this.kube.get<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>('/api/v1/nodes');
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === this.nodes.length;
    }, timeoutMs, 1000);
  }

  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult> { return this.cluster.kubectl(args, opts); }

  /** The documented install: the shipped base plus this cluster's CIDRs (and the agent's mode). */
  installDir(opts: { imageTag?: string } = {}): string {
    const dir = join(this.dir, 'install');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), renderInstallKustomization({
      base: relative(dir, join(REPO_ROOT, 'manifests')), clusterCIDRs: A.CLUSTER_CIDRS, mode: this.mode, ...opts }));
    return dir;
  }

  /** A new tag for an imported image on every node: what a registry push of a new version would give. */
  async tagImage(from: string, to: string): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.tagImage(from, to)));
  }

  echoLog(sinceMs = 0): EchoEntry[] { return readEchoLog(this.echoLogPath, sinceMs); }

  /** Egress addresses (not the node IP) on each node's uplink: ip → nodes. */
  async holders(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const n of this.nodes) {
      const r = await tryInNetns(n.spec.netns, 'ip', ['-j', '-4', 'addr', 'show', 'dev', n.spec.uplink]);
      const links = JSON.parse(r.out.split('\n')[0] || '[]') as { addr_info?: { local: string }[] }[];
      for (const a of links.flatMap((l) => l.addr_info ?? [])) {
        if (a.local !== n.spec.ip) out.set(a.local, [...(out.get(a.local) ?? []), n.spec.name]);
      }
    }
    return out;
  }

  /** Stops everything this run started, removes its namespaces, mounts, cgroups and directory. */
  async down(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.log('tearing down');
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
    await Promise.all(this.daemons.map((d) => d.stop('SIGTERM', 3_000)));
    this.kube?.close();
    this.cleanHost();
    if (opts.keepLogs) {
      const kept = join(kubeletLabBaseDir(), `${this.prefix}-logs`);
      await execa('cp', ['-r', this.logDir, kept], { reject: false });
      if (this.cluster) await execa('cp', [this.cluster.logs.apiServer, kept], { reject: false });
      // the agents', managers' and probe pod's own logs (kubelet podLogsDir, per node)
      for (const n of this.nodes) await execa('cp', ['-r', n.paths.podLogs, join(kept, `${n.spec.name}-pod-logs`)], { reject: false });
      this.log(`logs kept in ${kept}`);
    }
    await this.cluster?.stop();
    rmSync(this.dir, { recursive: true, force: true });
    this.removeExitHook?.();
    this.log('teardown complete');
  }

  private cleanHost(): void {
    for (const n of this.nodes) n.killSync();
    for (const d of this.daemons) d.killSync();
    const failedCg = removeRunCgroups(this.runCgroup);
    const mine = listNetns().filter((ns) => ns.startsWith(`${this.prefix}-`));
    const failedNs = destroyNetnsSync([...new Set([...this.plan.allNetns, ...mine])]);
    const leftMounts = unmountUnder(this.dir);
    for (const f of [...failedCg, ...failedNs, ...leftMounts]) this.log(`WARNING: left behind: ${f}`);
  }

  private destroySync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.cleanHost();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async inNode(i: number, cmd: string, args: string[]): Promise<string> {
    return inNetns(this.names.nodeNs(i), cmd, args);
  }
}
