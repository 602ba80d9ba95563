// `lab status`: nodes, whether each agent and manager is alive and healthy, the Lease holder, and who
// holds which egress IP — as the API says (StaticEgressIP status) and as the kernel says (`ip addr`
// on each node's uplink). Works in-process (after up) and from another terminal (from state.json).
import { existsSync } from 'node:fs';
import * as A from './addressing.js';
import { tryInNetns } from './exec.js';
import { nodeIP6 } from './ipv6.js';
import { KubeClient } from './kube.js';
import type { Lab, SeipView } from './lab.js';
import { labNames } from './names.js';
import * as O from './objects.js';
import { pidAlive, type LabState } from './state.js';
import { range } from './topology.js';

interface StatusInput {
  prefix: string;
  nodes: number;
  overlay: boolean;
  daemons: { name: string; pid?: number; alive: boolean; log: string }[];
  kube: KubeClient | undefined;
  phase: string;
  pods: { namespace: string; name: string; node: string; ip: string; netns: string }[];
}

export async function renderStatus(lab: Lab): Promise<string> {
  return render({
    prefix: lab.prefix, nodes: lab.plan.nodes, overlay: lab.plan.overlay, phase: 'up',
    daemons: [...lab.agents.values(), ...lab.managers.values()].map((d) => ({ name: d.name, pid: d.pid, alive: d.running, log: d.logPath })),
    kube: lab.kube,
    pods: lab.listPods().map((p) => ({ namespace: p.namespace, name: p.name, node: lab.nodeName(p.node), ip: p.ip, netns: p.netns })),
  });
}

export async function statusOfState(s: LabState): Promise<string> {
  const kube = s.adminKubeconfig && existsSync(s.adminKubeconfig) ? new KubeClient(s.adminKubeconfig) : undefined;
  try {
    const owner = pidAlive(s.ownerPid) ? `owner pid ${s.ownerPid}` : `OWNER ${s.ownerPid} IS GONE (run lab down --all)`;
    return await render({
      prefix: s.prefix, nodes: s.nodes, overlay: s.overlay, phase: `${s.phase}, ${owner}, since ${s.startedAt}`, kube,
      daemons: s.daemons.map((d) => ({ ...d, alive: pidAlive(d.pid) })), pods: s.pods ?? [],
    });
  } finally {
    kube?.close();
  }
}

async function render(s: StatusInput): Promise<string> {
  const names = labNames(s.prefix);
  const lines: string[] = [`lab ${s.prefix} (${s.phase}) — ${s.nodes} nodes, ${s.overlay ? 'overlay (vxlan)' : 'host-gw (direct)'}`];
  const kernelHolders = new Map<string, string[]>();
  lines.push('', 'NODE     IP           NETNS          AGENT                  EGRESS IPs ON UPLINK');
  for (const i of range(s.nodes)) {
    const node = `node-${i}`;
    const up = await uplinkAddresses(names, i);
    const nodeIP = up?.nodeIP ?? '-';
    const extra = up?.extra ?? [];
    for (const ip of extra) kernelHolders.set(ip, [...(kernelHolders.get(ip) ?? []), node]);
    const d = s.daemons.find((x) => x.name === `agent-${node}`);
    const port = await tryInNetns(names.lanNs, 'ip', ['-br', 'link', 'show', names.nodeLanPort(i)]);
    const cut = /\bDOWN\b/.test(port.out) ? ' (CUT OFF THE LAN)' : '';
    const health = d?.alive ? await healthz(names.nodeNs(i)) : '';
    const agent = d ? (d.alive ? `pid ${d.pid} ${health}` : 'DEAD') : 'not started';
    lines.push(`${node.padEnd(8)} ${nodeIP.padEnd(12)} ${names.nodeNs(i).padEnd(14)} ${agent.padEnd(22)} ` +
      `${up ? extra.join(' ') || '-' : 'netns missing'}${cut}`);
  }
  if (s.pods.length) {
    lines.push('', 'POD                            IP             NODE     NETNS');
    for (const p of s.pods) lines.push(`${`${p.namespace}/${p.name}`.padEnd(30)} ${p.ip.padEnd(14)} ${p.node.padEnd(8)} ${p.netns}`);
  }
  const mgrs = s.daemons.filter((d) => d.name.startsWith('manager-'));
  let leader: string | undefined;
  if (s.kube) {
    try {
      const lease = await s.kube.find<{ spec?: { holderIdentity?: string } }>(O.paths.lease('static-egress-system', 'static-egress-manager'));
      leader = lease?.spec?.holderIdentity;
    } catch { /* apiserver down */ }
  }
  lines.push('', `managers: ${mgrs.map((m) => `${m.name} ${m.alive ? `pid ${m.pid}` : 'DEAD'}${leader === m.name ? ' (leader)' : ''}`).join(', ') || 'none'}` +
    (leader && !mgrs.some((m) => m.name === leader) ? `; lease held by ${leader}` : ''));

  lines.push('', 'POLICY                         EGRESS IP        ASSIGNED (API)  ON UPLINK (KERNEL)  READY');
  if (!s.kube) {
    lines.push('(no apiserver credentials)');
  } else {
    try {
      const list = await s.kube.get<{ items: SeipView[] }>(O.paths.allSeips);
      if (list.items.length === 0) lines.push('(no StaticEgressIP)');
      for (const p of list.items) {
        const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
        const readyText = ready ? `${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : '-';
        for (const ip of p.spec.egressIPs) {
          const api = p.status?.assignments?.find((a) => a.egressIP === ip)?.node ?? '-';
          const kern = (kernelHolders.get(ip) ?? []).join(',') || '-';
          lines.push(`${`${p.metadata.namespace}/${p.metadata.name}`.padEnd(30)} ${ip.padEnd(16)} ${api.padEnd(15)} ` +
            `${kern.padEnd(19)} ${readyText}`);
        }
      }
    } catch (err) {
      lines.push(`(apiserver: ${(err as Error).message.split('\n')[0]})`);
    }
  }
  return lines.join('\n');
}

/** Node i's address on its uplink (IPv4, else IPv6) and the others there (egress IPs), both families; null: no netns. */
async function uplinkAddresses(names: ReturnType<typeof labNames>, i: number): Promise<{ nodeIP: string; extra: string[] } | null> {
  const r = await tryInNetns(names.nodeNs(i), 'ip', ['-j', 'addr', 'show', 'dev', names.nodeUplink(i)]);
  if (r.code !== 0) return null;
  const links = JSON.parse(r.out.split('\n')[0] || '[]') as { addr_info?: { local: string; scope?: string }[] }[];
  // link-local addresses are no egress IPs
  const global = links.flatMap((l) => l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => a.local);
  const mine = [A.nodeIP(i), nodeIP6(i)];
  return { nodeIP: mine.find((ip) => global.includes(ip)) ?? '-', extra: global.filter((ip) => !mine.includes(ip)) };
}

async function healthz(ns: string): Promise<string> {
  const r = await tryInNetns(ns, 'sh', ['-c',
    `printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | socat -T1 - TCP:127.0.0.1:9310,connect-timeout=1`]);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(r.out);
  return m ? (m[1] === '200' ? 'healthy' : `healthz ${m[1]}`) : 'no healthz';
}
