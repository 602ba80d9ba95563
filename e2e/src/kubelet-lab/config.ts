// Pure renderers for a real lab node: containerd's config, the kubelet's KubeletConfiguration, the
// flannel CNI conflist and flanneld's net-conf. Every path is under the node's own directory of the
// run (nothing in /var/lib, /var/log, /run/containerd, /etc/cni or /run/flannel), because several
// runs and other engineers share this machine. What each odd setting is for: e2e/src/kubelet-lab/README.md.
import { join } from 'node:path';

export interface NodePaths {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSock: string;
  containerdConfig: string;
  kubeletRoot: string;
  kubeletConfig: string;
  podLogs: string;
  cniConfDir: string;
  cniData: string;
  flannelSubnetFile: string;
  flannelCniData: string;
}

export function nodePaths(runDir: string, node: string): NodePaths {
  const dir = join(runDir, node);
  return {
    dir,
    containerdRoot: join(dir, 'containerd/root'),
    containerdState: join(dir, 'containerd/state'),
    containerdSock: join(dir, 'containerd/containerd.sock'),
    containerdConfig: join(dir, 'containerd/config.toml'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet-config.yaml'),
    podLogs: join(dir, 'pod-logs'),
    cniConfDir: join(dir, 'cni/net.d'),
    cniData: join(dir, 'cni/ipam'),
    flannelSubnetFile: join(dir, 'flannel/subnet.env'),
    flannelCniData: join(dir, 'flannel/cni'),
  };
}

/** containerd 1.6 (config version 2) with the CRI plugin, all state under the node's directory. */
export function renderContainerdConfig(p: NodePaths, o: { sandboxImage: string; cniBinDir: string }): string {
  const q = JSON.stringify;
  return `version = 2
root = ${q(p.containerdRoot)}
state = ${q(p.containerdState)}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${q(p.containerdSock)}

[ttrpc]
  address = ${q(`${p.containerdSock}.ttrpc`)}

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(p.dir, 'containerd/opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(o.sandboxImage)}
  # runc cannot lower oom_score_adj here (no CAP_SYS_RESOURCE): "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, not /var/run/netns (shared with every lab run).
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = ${q(o.cniBinDir)}
  conf_dir = ${q(p.cniConfDir)}
`;
}

/**
 * The kubelet: cgroupfs on this machine's cgroup v1 (hybrid) hierarchy, under a run-specific
 * cgroupRoot; the node's own address; anonymous, always-allowed kubelet API (the lab's namespace
 * only); eviction thresholds that a busy shared disk does not trip.
 */
export function renderKubeletConfig(p: NodePaths, o: { nodeIP: string; cgroupRoot: string }): string {
  const cfg = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: o.nodeIP,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    cgroupRoot: o.cgroupRoot,
    cgroupsPerQOS: true,
    containerRuntimeEndpoint: `unix://${p.containerdSock}`,
    podLogsDir: p.podLogs,
    failSwapOn: false,
    resolvConf: '/etc/resolv.conf',
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    localStorageCapacityIsolation: false,
    serializeImagePulls: false,
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    fileCheckFrequency: '5s',
    shutdownGracePeriod: '0s',
    containerLogMaxSize: '5Mi',
    containerLogMaxFiles: 2,
  };
  return JSON.stringify(cfg, null, 2) + '\n';
}

/** The flannel CNI plugin delegating to bridge + host-local, with its state under the node's dir. */
export function renderCniConflist(p: NodePaths): string {
  return JSON.stringify({
    cniVersion: '0.3.1',
    name: 'cbr0',
    plugins: [
      {
        type: 'flannel',
        subnetFile: p.flannelSubnetFile,
        dataDir: p.flannelCniData,
        ipam: { type: 'host-local', dataDir: p.cniData },
        delegate: { hairpinMode: true, isDefaultGateway: true },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2) + '\n';
}

export type FlannelBackend = 'host-gw' | 'vxlan';

/** flanneld's net-conf.json: the pod range, one /27 per node, and the backend. */
export function renderFlannelNetConf(o: { network: string; subnetLen: number; backend: FlannelBackend;
  vni?: number; port?: number }): string {
  const backend = o.backend === 'vxlan' ? { Type: 'vxlan', VNI: o.vni ?? 1, Port: o.port ?? 8472 } : { Type: 'host-gw' };
  return JSON.stringify({ Network: o.network, SubnetLen: o.subnetLen, EnableIPv6: false, Backend: backend }, null, 2) + '\n';
}

/**
 * The install overlay: the shipped base as it is, plus what the docs tell every cluster to set
 * (the agent's CLUSTER_CIDRS), for an overlay CNI the agent's VXLAN mode, and for an upgrade the tag.
 */
export function renderInstallKustomization(o: { base: string; clusterCIDRs: string[]; mode: 'direct' | 'vxlan';
  imageTag?: string }): string {
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ${o.base}`,
    // an upgrade as docs/install.md describes it: the same manifests with a new image tag
    ...(o.imageTag ? ['images:', '  - name: static-egress', `    newTag: ${JSON.stringify(o.imageTag)}`] : []),
    'patches:',
    '  - target: { kind: ConfigMap, name: static-egress-agent-config }',
    '    patch: |-',
    '      - op: replace',
    '        path: /data/CLUSTER_CIDRS',
    `        value: ${o.clusterCIDRs.join(',')}`,
  ];
  if (o.mode === 'vxlan') {
    lines.push(
      '  - target: { kind: DaemonSet, name: static-egress-agent }',
      '    patch: |-',
      '      - op: add',
      '        path: /spec/template/spec/containers/0/args/-',
      '        value: --mode=vxlan',
    );
  }
  return lines.join('\n') + '\n';
}
