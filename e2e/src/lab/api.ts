// The lab's API objects: CRDs, RBAC and the daemons' service-account kubeconfigs, the Node objects,
// and what the suites create — pods (network + Pod object), Services with their EndpointSlices,
// pools and StaticEgressIPs. There is no scheduler or kubelet: the lab writes what they would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateProbeKeyText } from '@static-egress/controller-kit';
import { PROBE_KEY_SECRET, SYSTEM_NAMESPACE } from '@static-egress/crds';
import { REPO_ROOT } from '../k8s/binaries.js';
import * as A from './addressing.js';
import type { LabContext } from './context.js';
import type { DaemonCredentials } from './daemons.js';
import { nodeIP6, podIP6 } from './ipv6.js';
import { loadShippedManifests } from './manifests.js';
import type { LabNetwork } from './network.js';
import * as O from './objects.js';

export interface LabPod {
  namespace: string;
  name: string;
  node: number;
  /** its IPv4 address; its IPv6 one in an IPv6-only lab (the primary address, like status.podIP) */
  ip: string;
  /** its IPv6 address in a dual-stack or IPv6-only lab */
  ip6?: string;
  netns: string;
  index: number;
  labels: Record<string, string>;
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

export class LabApi {
  private readonly pods: LabPod[] = [];
  private podCounter = 0;
  private readonly podsPerNode = new Map<number, number>();

  constructor(private readonly ctx: LabContext, private readonly net: LabNetwork) {}

  /** CRDs, the shipped RBAC, the system namespace, and a kubeconfig per daemon service account. */
  async setUp(): Promise<DaemonCredentials> {
    const { cluster } = this.ctx;
    await cluster.applyCRDs();
    const manifests = await loadShippedManifests(REPO_ROOT, async (dir) => (await cluster.kubectl(['kustomize', dir])).stdout);
    for (const w of manifests.warnings) this.ctx.log(`WARNING: ${w}`);
    await cluster.kubectl(['apply', '-f', '-'], { input: manifests.rbacYaml });
    await cluster.ensureNamespace(SYSTEM_NAMESPACE);
    const server = `https://127.0.0.1:${A.API_PORT_IN_NETNS}`;
    const agentKubeconfig = await cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE, manifests.agentServiceAccount, { server });
    const managerKubeconfig = await cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE, manifests.managerServiceAccount, { server });
    // The probe key, as an installer would have it: a Secret the agents mount (here: a file of the
    // run) and the managers read through the API.
    const probeKeyFile = join(this.ctx.dir, 'probe-key');
    writeFileSync(probeKeyFile, generateProbeKeyText(), { mode: 0o600 });
    await cluster.kubectl(['-n', SYSTEM_NAMESPACE, 'create', 'secret', 'generic', PROBE_KEY_SECRET, `--from-file=key=${probeKeyFile}`]);
    this.ctx.log(`CRDs, RBAC applied; agents run as ${SYSTEM_NAMESPACE}/${manifests.agentServiceAccount}, ` +
      `managers as ${SYSTEM_NAMESPACE}/${manifests.managerServiceAccount}`);
    return { manifests, agentKubeconfig, managerKubeconfig, probeKeyFile };
  }

  /** One Node object per lab node, Ready, with its InternalIP; `gateways` carry the gateway label. */
  async registerNodes(gateways: Set<number>): Promise<void> {
    const { ctx } = this;
    for (const i of ctx.nodeIndexes) {
      await ctx.kube.apply(O.paths.node(ctx.nodeName(i)), O.nodeObject(ctx.nodeName(i), ctx.nodeAddress(i), gateways.has(i)));
      const ips = [...(ctx.ipv4 ? [A.nodeIP(i)] : []), ...(ctx.ipv6 ? [nodeIP6(i)] : [])];
      await ctx.kube.patch(O.paths.nodeStatus(ctx.nodeName(i)), O.nodeStatus(ctx.nodeName(i), ips));
    }
    ctx.log(`Node objects: ${ctx.nodeIndexes.map((i) => `${ctx.nodeName(i)}=${ctx.nodeAddress(i)}` +
      (gateways.has(i) ? ' (gateway)' : '')).join(', ')}`);
  }

  /** A pod: namespace + veth on its node, and a Pod object bound to that node with status Running. */
  async addPod(p: { namespace: string; name: string; node: number; labels?: Record<string, string> }): Promise<LabPod> {
    const { ctx } = this;
    const j = this.podsPerNode.get(p.node) ?? 0;
    this.podsPerNode.set(p.node, j + 1);
    const index = ++this.podCounter;
    // an IPv6-only lab's pod: `ip` is its primary (IPv6) address, as status.podIP is
    const pod: LabPod = {
      namespace: p.namespace, name: p.name, node: p.node, ip: ctx.ipv4 ? A.podIP(p.node, j) : podIP6(p.node, j), netns: ctx.names.podNs(index),
      ...(ctx.ipv6 ? { ip6: podIP6(p.node, j) } : {}), index, labels: p.labels ?? {},
    };
    await this.net.addPod(pod);
    await ctx.kube.create(O.paths.pods(p.namespace),
      O.podObject({ namespace: p.namespace, name: p.name, nodeName: ctx.nodeName(p.node), labels: pod.labels }));
    await ctx.kube.patch(O.paths.podStatus(p.namespace, p.name), O.podStatus([...new Set([pod.ip, ...(pod.ip6 ? [pod.ip6] : [])])], ctx.nodeAddress(p.node)));
    this.pods.push(pod);
    ctx.state.pods = this.pods.map((x) => ({ namespace: x.namespace, name: x.name, node: ctx.nodeName(x.node), ip: x.ip, netns: x.netns }));
    ctx.saveState();
    ctx.log(`pod ${p.namespace}/${p.name} ${pod.ip}${pod.ip6 ? ` ${pod.ip6}` : ''} on ${ctx.nodeName(p.node)} (netns ${pod.netns})`);
    return pod;
  }

  async deletePod(pod: LabPod): Promise<void> {
    await this.ctx.kube.delete(`${O.paths.pod(pod.namespace, pod.name)}?gracePeriodSeconds=0`);
    this.net.removePod(pod.netns);
    this.pods.splice(this.pods.indexOf(pod), 1);
  }

  listPods(): LabPod[] { return [...this.pods]; }

  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.ctx.cluster.ensureNamespace(name, labels);
  }

  /** A Service selecting `selector`, with the EndpointSlice the (absent) controller would write. */
  async addService(namespace: string, name: string, selector: Record<string, string>): Promise<void> {
    await this.ctx.kube.apply(O.paths.service(namespace, name), O.serviceObject(namespace, name, selector));
    const eps = this.pods.filter((p) => p.namespace === namespace &&
      Object.entries(selector).every(([k, v]) => p.labels[k] === v))
      .map((p) => ({ ip: p.ip, nodeName: this.ctx.nodeName(p.node), podName: p.name }));
    await this.ctx.kube.apply(O.paths.endpointSlice(namespace, `${name}-lab`), O.endpointSliceObject(namespace, name, eps));
  }

  async applyPool(p: O.PoolInput): Promise<void> {
    await this.ctx.kube.apply(O.paths.pool(p.name), O.poolObject(p));
  }

  async applyPolicy(s: O.SeipInput): Promise<void> {
    await this.ctx.kube.apply(O.paths.seip(s.namespace, s.name), O.seipObject(s));
  }

  async deletePolicy(namespace: string, name: string): Promise<void> {
    await this.ctx.kube.delete(O.paths.seip(namespace, name));
  }

  async getPolicy(namespace: string, name: string): Promise<SeipView | undefined> {
    return this.ctx.kube.find<SeipView>(O.paths.seip(namespace, name));
  }

  async leaseHolder(): Promise<string | undefined> {
    const lease = await this.ctx.kube.find<{ spec?: { holderIdentity?: string } }>(O.paths.lease(SYSTEM_NAMESPACE, 'static-egress-manager'));
    return lease?.spec?.holderIdentity || undefined;
  }
}
