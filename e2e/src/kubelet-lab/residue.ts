// What static-egress leaves in a real node's kernel, read with the operator's tools: every chain
// and set with the agent's prefixes, its VXLAN device, plus what lab/inspect.ts's residue() counts
// (egress addresses, ip rules and routes in the agent's ranges).
import * as A from '../lab/addressing.js';
import { tryInNetns } from '../lab/exec.js';
import { residue, type NodeKernel } from '../lab/inspect.js';
import type { KubeletNode } from './node.js';

export async function readKernel(n: KubeletNode): Promise<NodeKernel & { links: string }> {
  const ns = n.spec.netns;
  const [addrs, ipt, sets, rules, routes, links] = await Promise.all([
    tryInNetns(ns, 'ip', ['-j', '-4', 'addr', 'show', 'dev', n.spec.uplink]),
    tryInNetns(ns, 'iptables-save', []),
    tryInNetns(ns, 'ipset', ['list', '-n']),
    tryInNetns(ns, 'ip', ['rule', 'show']),
    tryInNetns(ns, 'ip', ['route', 'show', 'table', 'all']),
    tryInNetns(ns, 'ip', ['-o', 'link', 'show']),
  ]);
  const parsed = JSON.parse(addrs.out.split('\n')[0] || '[]') as { addr_info?: { local: string }[] }[];
  return {
    node: n.spec.name, links: links.out,
    uplinkAddrs: parsed.flatMap((l) => l.addr_info ?? []).map((a) => a.local).filter((ip) => ip !== n.spec.ip),
    iptables: ipt.out, ipsets: sets.out, ipRules: rules.out, routes: routes.out,
  };
}

/** Every trace of ours on the node (empty after a clean uninstall). */
export function ourTraces(k: NodeKernel & { links: string }, egressIPs: string[]): string[] {
  const out = residue(k, egressIPs, []);
  for (const l of k.iptables.split('\n')) if (/SEGRESS/.test(l)) out.push(`${k.node}: iptables: ${l}`);
  for (const l of k.ipsets.split('\n')) if (l.startsWith('segress')) out.push(`${k.node}: ipset ${l}`);
  if (k.links.includes('segress.vx')) out.push(`${k.node}: link segress.vx`);
  for (const ip of k.uplinkAddrs) if (ip.startsWith('192.0.2.') && !out.some((o) => o.includes(ip))) {
    out.push(`${k.node}: ${ip} on the uplink`);
  }
  return out.filter((o) => !o.includes(A.ROUTER_LAN_IP));
}
