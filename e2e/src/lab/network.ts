// The lab's network and the faults injected into it: every namespace and link of the topology, pod
// namespaces, a node cut off the LAN, a node's daemons cut off the apiserver. Everything happens
// inside the run's own namespaces (`<prefix>-…`).
import * as A from './addressing.js';
import type { LabContext } from './context.js';
import { addNetns, applyScripts, destroyNetnsSync, inNetns, listNetns } from './exec.js';
import { renderPod, renderTopology } from './topology.js';
import { renderIPv6Topology, renderPodIPv6 } from './ipv6.js';

async function hasCommand(cmd: string): Promise<boolean> {
  const { execa } = await import('execa');
  return (await execa('sh', ['-c', `command -v ${cmd}`], { reject: false })).exitCode === 0;
}

export class LabNetwork {
  private readonly cut = new Set<number>();

  constructor(private readonly ctx: LabContext) {}

  /** Creates the topology's namespaces and applies its scripts (the LAN, router, external host, nodes, managers). */
  async build(): Promise<void> {
    const { plan } = this.ctx;
    await addNetns(plan.allNetns);
    let scripts = renderTopology(plan);
    if (scripts.some((s) => s.tool === 'nft') && !(await hasCommand('nft'))) {
      this.ctx.log('WARNING: nft (package nftables) is missing: the LAN will NOT drop pod-addressed frames in the overlay variant');
      scripts = scripts.filter((s) => s.tool !== 'nft');
    }
    await applyScripts(scripts);
    if (this.ctx.ipv6) await applyScripts(renderIPv6Topology(plan));
    this.ctx.log(`network: ${plan.allNetns.length} namespaces (${plan.allNetns.join(' ')})${this.ctx.ipv6 ? ', dual stack' : ''}`);
  }

  /** A pod's namespace and veth on its node, recorded in the state file first so teardown finds it. */
  async addPod(p: { index: number; node: number; ip: string; ip6?: string; netns: string }): Promise<void> {
    this.ctx.state.netns.push(p.netns);
    this.ctx.saveState();
    await addNetns([p.netns]);
    await applyScripts(renderPod(this.ctx.plan, { index: p.index, node: p.node, ip: p.ip }));
    if (p.ip6) await applyScripts(renderPodIPv6(this.ctx.plan, { index: p.index, node: p.node, ip: p.ip, ip6: p.ip6 }));
  }

  removePod(netns: string): void {
    destroyNetnsSync([netns]);
  }

  /** Cuts a node off the LAN (its bridge port goes down): the node is lost as far as anyone can tell. */
  async cutNode(i: number): Promise<void> {
    await inNetns(this.ctx.names.lanNs, 'ip', ['link', 'set', this.ctx.names.nodeLanPort(i), 'down']);
    this.cut.add(i);
  }

  async restoreNode(i: number): Promise<void> {
    await inNetns(this.ctx.names.lanNs, 'ip', ['link', 'set', this.ctx.names.nodeLanPort(i), 'up']);
    this.cut.delete(i);
  }

  /** Nodes cut off the LAN: whatever their kernel still holds is unreachable and does not count. */
  isCut(i: number): boolean { return this.cut.has(i); }

  /**
   * Cuts a node's daemons off the apiserver: its relay port (127.0.0.1:6443 in the node's namespace)
   * drops every packet, so open watches go silent and new requests hang, like a partition would.
   */
  async cutApi(i: number): Promise<void> {
    for (const rule of this.apiCutRules()) await inNetns(this.ctx.names.nodeNs(i), 'iptables', ['-I', ...rule]);
  }

  async restoreApi(i: number): Promise<void> {
    for (const rule of this.apiCutRules()) await inNetns(this.ctx.names.nodeNs(i), 'iptables', ['-D', ...rule]);
  }

  /**
   * Cuts a node off the managers only (issue 14's partition): it stays on the LAN, answering ARP and
   * reachable by other clients, but no manager probe reaches it and none of its answers gets back.
   */
  async cutManagers(i: number): Promise<void> {
    for (const rule of this.managerCutRules()) await inNetns(this.ctx.names.nodeNs(i), 'iptables', ['-I', ...rule]);
  }

  async restoreManagers(i: number): Promise<void> {
    for (const rule of this.managerCutRules()) await inNetns(this.ctx.names.nodeNs(i), 'iptables', ['-D', ...rule]);
  }

  private managerCutRules(): string[][] {
    const comment = ['-m', 'comment', '--comment', `${this.ctx.prefix} lab: managers cut`];
    const managers = Array.from({ length: this.ctx.plan.managers }, (_, k) => A.managerIP(k + 1)).join(',');
    return [['INPUT', '-s', managers, ...comment, '-j', 'DROP'], ['OUTPUT', '-d', managers, ...comment, '-j', 'DROP']];
  }

  private apiCutRules(): string[][] {
    const comment = ['-m', 'comment', '--comment', `${this.ctx.prefix} lab: apiserver cut`];
    return ['--dport', '--sport'].map((dir) => ['INPUT', '-i', 'lo', '-p', 'tcp', dir, String(A.API_PORT_IN_NETNS), ...comment, '-j', 'DROP']);
  }

  /** Deletes every namespace of this run (recorded or found by prefix); resolves the ones that failed. */
  destroySync(): string[] {
    const mine = listNetns().filter((ns) => ns.startsWith(`${this.ctx.prefix}-`));
    return destroyNetnsSync([...new Set([...this.ctx.state.netns, ...mine])]);
  }
}
