// What the product left in a node's kernel, read with the same tools an operator would use. Used to
// prove that "nothing of it remains" after a policy is deleted, and that a refused policy programmed
// nothing.
import * as A from './addressing.js';
import { tryInNetns } from './exec.js';
import { nodeIP6 } from './ipv6.js';
import type { Lab } from './lab.js';

export interface NodeKernel {
  node: string;
  uplinkAddrs: string[];
  iptables: string;
  ipsets: string;
  ipRules: string;
  routes: string;
}

/** Both families' state (a dual-stack lab's IPv6 too; an IPv4-only lab's IPv6 tables are empty). */
export async function readNodeKernel(lab: Lab, i: number): Promise<NodeKernel> {
  const ns = lab.names.nodeNs(i);
  const [addrs, ipt, ip6t, sets, rules, rules6, routes, routes6] = await Promise.all([
    tryInNetns(ns, 'ip', ['-j', 'addr', 'show', 'dev', lab.names.nodeUplink(i)]),
    tryInNetns(ns, 'iptables-save', []),
    tryInNetns(ns, 'ip6tables-save', []),
    tryInNetns(ns, 'ipset', ['list']),
    tryInNetns(ns, 'ip', ['rule', 'show']),
    tryInNetns(ns, 'ip', ['-6', 'rule', 'show']),
    tryInNetns(ns, 'ip', ['route', 'show', 'table', 'all']),
    tryInNetns(ns, 'ip', ['-6', 'route', 'show', 'table', 'all']),
  ]);
  const links = JSON.parse(addrs.out.split('\n')[0] || '[]') as { addr_info?: { local: string; scope?: string }[] }[];
  const own = new Set([A.nodeIP(i), nodeIP6(i)]);
  return {
    node: lab.nodeName(i),
    uplinkAddrs: links.flatMap((l) => l.addr_info ?? []).filter((a) => a.scope !== 'link' && !own.has(a.local)).map((a) => a.local),
    iptables: `${ipt.out}\n${ip6t.out}`, ipsets: sets.out, ipRules: `${rules.out}\n${rules6.out}`, routes: `${routes.out}\n${routes6.out}`,
  };
}

/**
 * Traces of a policy: its egress IPs anywhere (addresses, rules, routes), its pods' addresses in any
 * ipset, rules in the agent's priority range and routes in its table range (5000-5999 by default).
 */
export function residue(k: NodeKernel, egressIPs: string[], podIPs: string[], range: [number, number] = [5000, 5999]): string[] {
  const out: string[] = [];
  for (const ip of egressIPs) {
    if (k.uplinkAddrs.includes(ip)) out.push(`${k.node}: ${ip} still on the uplink`);
    for (const l of k.iptables.split('\n')) if (l.includes(ip)) out.push(`${k.node}: iptables: ${l}`);
    for (const l of k.routes.split('\n')) if (l.includes(ip)) out.push(`${k.node}: route: ${l}`);
  }
  const members = new Set(k.ipsets.split('\n').map((l) => l.trim().split(/\s/)[0] ?? ''));
  for (const ip of podIPs) if (members.has(ip) || members.has(`${ip}/32`) || members.has(`${ip}/128`)) out.push(`${k.node}: ipset still holds ${ip}`);
  for (const l of k.ipRules.split('\n')) {
    const prio = Number(l.split(':')[0]);
    if (prio >= range[0] && prio <= range[1]) out.push(`${k.node}: ip rule: ${l.trim()}`);
  }
  for (const l of k.routes.split('\n')) {
    const m = /\btable (\d+)\b/.exec(l);
    if (m && Number(m[1]) >= range[0] && Number(m[1]) <= range[1]) out.push(`${k.node}: route: ${l.trim()}`);
  }
  return out;
}
