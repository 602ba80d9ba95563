// The lab's IPv6 (issue 11): the address plan in the IPv6 documentation prefix 2001:db8::/32 only,
// and the scripts that put IPv6 on every link beside the IPv4 topology (topology.ts) when the lab
// runs dual stack. Pure, like topology.ts; network.ts applies them after the IPv4 scripts. Every
// address is added `nodad` and accept_dad=0 is set in the lab's own namespaces, so nothing waits in
// duplicate address detection; IPv6 forwarding is on in the router and the nodes.
import { renderCniOverlay6, renderLanPodFilter6 } from './overlay6.js';
import type { PodPlan, Script, TopologyPlan } from './topology.js';
import { range } from './topology.js';

export type LabIPFamily = 'IPv4' | 'IPv6';

/** The lab's families: IPv4 only (the default: every suite as before), dual stack, or IPv6 only. */
export function parseLabIPFamilies(families: readonly string[] | undefined): LabIPFamily[] {
  const f = families ?? ['IPv4'];
  const key = f.join(',');
  if (key === 'IPv4' || key === 'IPv4,IPv6' || key === 'IPv6') return f as LabIPFamily[];
  throw new Error(`ipFamilies: expected ['IPv4'], ['IPv4', 'IPv6'] or ['IPv6'], got ${JSON.stringify(f)}`);
}

export const hasIPv6 = (families: readonly LabIPFamily[]): boolean => families.includes('IPv6');
export const hasIPv4 = (families: readonly LabIPFamily[]): boolean => families.includes('IPv4');

export const LAN6_PREFIX_LEN = 64;
export const ROUTER_LAN_IP6 = '2001:db8:0:2::1';
export const ROUTER_EXT_IP6 = '2001:db8:0:51::1';
export const EXTERNAL_CIDR6 = '2001:db8:0:51::/64';
export const ECHO_IP6 = '2001:db8:0:51::10';
export const ECHO_IP6_2 = '2001:db8:0:51::20';
export const ECHO_IP6_3 = '2001:db8:0:51::30';
/** Pods: node N gets 2001:db8:0:70NN::/64 of this /56; services sit at its end, like IPv4's. */
export const POD_CIDR6 = '2001:db8:0:7000::/56';
export const SERVICE_CIDR6 = '2001:db8:0:70ff::/112';
export const CLUSTER_CIDRS6 = [POD_CIDR6, SERVICE_CIDR6];
/** Egress IPs of a dual-stack policy (an IPv6 pool): on the LAN, like IPv4's 192.0.2.96/27. */
export const EGRESS_POOL_CIDR6 = '2001:db8:0:2::100/120';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function nodeIP6(i: number): string {
  return `2001:db8:0:2::${10 + i}`;
}
export function managerIP6(i: number): string {
  return `2001:db8:0:2::${200 + i}`;
}
export function podCidr6(i: number): string {
  return `2001:db8:0:70${hex2(i)}::/64`;
}
export function podGatewayIP6(i: number): string {
  return `2001:db8:0:70${hex2(i)}::1`;
}
/** The j-th pod (j ≥ 0) of node i; the same j as its IPv4 address. */
export function podIP6(i: number, j: number): string {
  if (j < 0 || j > 28) throw new Error(`node ${i} has no pod address left (index ${j})`);
  return `2001:db8:0:70${hex2(i)}::${(2 + j).toString(16)}`;
}

/** IPv6 on, no DAD (existing links and the ones made later); forwarding where packets are routed. */
function sysctls(forward: boolean): Record<string, string> {
  return {
    'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.default.disable_ipv6': '0',
    'net.ipv6.conf.all.accept_dad': '0', 'net.ipv6.conf.default.accept_dad': '0',
    ...(forward ? { 'net.ipv6.conf.all.forwarding': '1' } : {}),
  };
}

/**
 * IPv6 on every link of topology.ts' topology: router, external host, nodes (host-gw routes or the
 * overlay's, masquerade), managers — beside IPv4 (dual stack) or alone (`plan.ipv4 === false`).
 */
export function renderIPv6Topology(plan: TopologyPlan): Script[] {
  const n = plan.names;
  const routed = new Set([n.routerNs, ...range(plan.nodes).map(n.nodeNs)]);
  const scripts: Script[] = plan.allNetns.map((ns) => ({ ns, tool: 'sysctl', settings: sysctls(routed.has(ns)) }));
  // a plain switch: no MLD snooping, so solicitations for an egress IP reach whichever node holds it now
  scripts.push({ ns: n.lanNs, tool: 'ip', lines: [`link set ${n.bridge} type bridge mcast_snooping 0`] });
  scripts.push({ ns: n.routerNs, tool: 'ip', lines: [
    `addr add ${ROUTER_LAN_IP6}/${LAN6_PREFIX_LEN} dev ${n.routerLan} nodad`,
    `addr add ${ROUTER_EXT_IP6}/64 dev ${n.routerExt} nodad`,
  ] });
  scripts.push({ ns: n.externalNs, tool: 'ip', lines: [
    ...[ECHO_IP6, ECHO_IP6_2, ECHO_IP6_3].map((ip) => `addr add ${ip}/64 dev ${n.externalIf} nodad`),
    `route add default via ${ROUTER_EXT_IP6}`,
  ] });
  for (const i of range(plan.nodes)) {
    const up = n.nodeUplink(i);
    scripts.push({ ns: n.nodeNs(i), tool: 'ip', lines: [
      `addr add ${nodeIP6(i)}/${LAN6_PREFIX_LEN} dev ${up} nodad`,
      `route add default via ${ROUTER_LAN_IP6}`,
      ...(plan.overlay ? [] : range(plan.nodes).filter((k) => k !== i).map((k) => `route add ${podCidr6(k)} via ${nodeIP6(k)} dev ${up}`)),
    ] });
    if (plan.overlay) scripts.push(...renderCniOverlay6(plan, i));
    scripts.push({ ns: n.nodeNs(i), tool: 'ip6tables-restore', text: renderNodeMasquerade6(plan) });
  }
  if (plan.overlay) scripts.push({ ns: n.lanNs, tool: 'nft', text: renderLanPodFilter6(plan) });
  for (const i of range(plan.managers)) {
    scripts.push({ ns: n.managerNs(i), tool: 'ip', lines: [
      `addr add ${managerIP6(i)}/${LAN6_PREFIX_LEN} dev ${n.managerUplink(i)} nodad`,
      `route add default via ${ROUTER_LAN_IP6}`,
    ] });
  }
  return scripts;
}

/** The lab CNI's masquerade of the IPv6 pod CIDR, as topology.ts' IPv4 one (same chain name, ip6tables). */
export function renderNodeMasquerade6(plan: TopologyPlan): string {
  const chain = plan.names.masqChain;
  return [
    '*nat',
    `:${chain} - [0:0]`,
    `-A POSTROUTING -s ${POD_CIDR6} -m comment --comment "lab CNI masquerade" -j ${chain}`,
    `-A ${chain} -d ${POD_CIDR6} -j RETURN`,
    `-A ${chain} -j MASQUERADE`,
    'COMMIT',
    '',
  ].join('\n');
}

/** A pod's IPv6, after topology.ts' renderPod: the node's pod gateway and a /128 each side, as for IPv4. */
export function renderPodIPv6(plan: TopologyPlan, pod: PodPlan & { ip6: string }): Script[] {
  const n = plan.names;
  const gw = podGatewayIP6(pod.node);
  const podNs = n.podNs(pod.index);
  return [
    { ns: podNs, tool: 'sysctl', settings: sysctls(false) },
    { ns: n.nodeNs(pod.node), tool: 'ip', lines: [
      `addr add ${gw}/128 dev ${n.podHostIf(pod.index)} nodad`,
      `route add ${pod.ip6}/128 dev ${n.podHostIf(pod.index)}`,
    ] },
    { ns: podNs, tool: 'ip', lines: [
      `addr add ${pod.ip6}/128 dev ${n.podIf(pod.index)} nodad`,
      `route add ${gw} dev ${n.podIf(pod.index)}`,
      `route add default via ${gw} dev ${n.podIf(pod.index)}`,
    ] },
  ];
}
