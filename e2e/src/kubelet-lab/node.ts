// One real node inside a lab network namespace: containerd, flanneld and the kubelet, each started
// with `nsenter --net=/var/run/netns/<ns>` (not `ip netns exec`, which mounts a fresh /sys without
// the cgroup mounts: kubelet "failed to find cgroup mounts", runc "no cgroup mount found").
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from '../k8s/daemon.js';
import { LAB_NETNS_RE } from '../lab/names.js';
import * as C from './config.js';

export interface NodeBinaries {
  kubelet: string;
  flanneld: string;
  containerd: string;
  ctr: string;
}

export interface NodeSpec {
  name: string;
  index: number;
  netns: string;
  ip: string;
  uplink: string;
  /** `/sel…-kubelet/<node>`: exists in every cgroup hierarchy before the kubelet starts. */
  cgroupRoot: string;
  kubeconfig: string;
  labels: Record<string, string>;
}

export interface NodeShared {
  runDir: string;
  logDir: string;
  bins: NodeBinaries;
  cniBinDir: string;
  sandboxImage: string;
  flannelNetConf: string;
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

export class KubeletNode {
  readonly paths: C.NodePaths;
  readonly daemons: Daemon[] = [];
  containerd!: Daemon;
  flanneld!: Daemon;
  kubelet!: Daemon;

  constructor(readonly spec: NodeSpec, private readonly shared: NodeShared) {
    if (!LAB_NETNS_RE.test(spec.netns)) throw new Error(`not a lab namespace: ${spec.netns}`);
    this.paths = C.nodePaths(shared.runDir, spec.name);
  }

  private inNetns(name: string, cmd: string[]): Daemon {
    const d = new Daemon(`${this.spec.name}-${name}`, 'nsenter', [`--net=/var/run/netns/${this.spec.netns}`, ...cmd],
      join(this.shared.logDir, `${this.spec.name}-${name}.log`));
    this.daemons.push(d);
    return d;
  }

  writeConfig(): void {
    const p = this.paths;
    for (const d of [p.containerdRoot, p.containerdState, p.kubeletRoot, p.podLogs, p.cniConfDir, p.cniData,
      join(p.dir, 'flannel'), p.flannelCniData]) mkdirSync(d, { recursive: true });
    writeFileSync(p.containerdConfig, C.renderContainerdConfig(p, { sandboxImage: this.shared.sandboxImage, cniBinDir: this.shared.cniBinDir }));
    writeFileSync(p.kubeletConfig, C.renderKubeletConfig(p, { nodeIP: this.spec.ip, cgroupRoot: this.spec.cgroupRoot }));
    writeFileSync(join(p.cniConfDir, '10-flannel.conflist'), C.renderCniConflist(p));
  }

  async startContainerd(images: string[]): Promise<void> {
    this.containerd = this.inNetns('containerd', [this.shared.bins.containerd, '--config', this.paths.containerdConfig]);
    this.containerd.start();
    const deadline = Date.now() + 30_000;
    while ((await this.ctr(['version'], false)).exitCode !== 0) {
      if (!this.containerd.running) throw new Error(`containerd exited: ${this.containerd.logTail(10)}`);
      if (Date.now() > deadline) throw new Error(`containerd not answering: ${this.containerd.logTail(10)}`);
      await sleep(200);
    }
    for (const img of images) await this.ctr(['images', 'import', img]);
  }

  ctr(args: string[], reject = true): Promise<{ exitCode?: number; stdout: string; stderr: string }> {
    return execa(this.shared.bins.ctr, ['--address', this.paths.containerdSock, '--namespace', 'k8s.io', ...args],
      { reject }) as Promise<{ exitCode?: number; stdout: string; stderr: string }>;
  }

  /** Another name for an image already imported (`static-egress:0.1.0` is docker.io/library/… to containerd). */
  async tagImage(from: string, to: string): Promise<void> {
    const full = (ref: string): string => (ref.includes('/') ? ref : `docker.io/library/${ref}`);
    await this.ctr(['images', 'tag', '--force', full(from), full(to)]);
  }

  /** flanneld with the kube subnet manager: it waits for the Node's podCIDR (controller-manager). */
  startFlanneld(): void {
    this.flanneld = this.inNetns('flanneld', ['env', `NODE_NAME=${this.spec.name}`, this.shared.bins.flanneld,
      '--kube-subnet-mgr', `--kubeconfig-file=${this.spec.kubeconfig}`, `--iface=${this.spec.uplink}`, '--ip-masq',
      `--subnet-file=${this.paths.flannelSubnetFile}`, `--net-config-path=${this.shared.flannelNetConf}`,
      `--public-ip=${this.spec.ip}`, '--v=1']);
    this.flanneld.start();
  }

  startKubelet(): void {
    const labels = Object.entries(this.spec.labels).map(([k, v]) => `${k}=${v}`).join(',');
    this.kubelet = this.inNetns('kubelet', [this.shared.bins.kubelet,
      `--config=${this.paths.kubeletConfig}`, `--kubeconfig=${this.spec.kubeconfig}`,
      `--root-dir=${this.paths.kubeletRoot}`, `--cert-dir=${join(this.paths.kubeletRoot, 'pki')}`,
      `--hostname-override=${this.spec.name}`, `--node-ip=${this.spec.ip}`,
      ...(labels ? [`--node-labels=${labels}`] : []), '--v=1']);
    this.kubelet.start();
  }

  /** Kubelet first (it stops pods), then every container task, then flanneld and containerd. */
  async stop(): Promise<void> {
    await this.kubelet?.stop('SIGTERM', 5_000);
    if (this.containerd?.running) {
      const tasks = await this.ctr(['tasks', 'ls', '-q'], false);
      for (const id of tasks.stdout.split('\n').filter(Boolean)) await this.ctr(['tasks', 'kill', '-s', 'SIGKILL', id], false);
    }
    await this.flanneld?.stop('SIGTERM', 3_000);
    await this.containerd?.stop('SIGTERM', 5_000);
  }

  killSync(): void {
    for (const d of this.daemons) d.killSync();
  }
}
