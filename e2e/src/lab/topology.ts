// The lab network, rendered then applied (DESIGN §7). `planTopology` and the `render*` functions are
// pure: they turn options into per-namespace command scripts (`ip -batch`, sysctl, iptables-restore,
// nft), which the golden test pins. `applyScripts` runs them; nothing here ever addresses the root
// namespace: every command carries `-n <lab netns>` or runs under `ip netns exec <lab netns>`.
import * as A from './addressing.js';
import { labNames, type LabNames } from './names.js';

export interface TopologyOptions {
  prefix: string;
  nodes: number;
  managers: number;
  /** Pods not routable on the LAN: the CNI tunnels between nodes over its own VXLAN. */
  overlay: boolean;
  /** false: an IPv6-only lab (issue 11) — no IPv4 address on any link; ipv6.ts adds the IPv6 ones */
  ipv4?: boolean;
}

export interface TopologyPlan extends TopologyOptions {
  names: LabNames;
  allNetns: string[];
}

export interface PodPlan {
  /** Global pod index (names its netns and links). */
  index: number;
  node: number;
  ip: string;
}

/** One unit of work inside one lab namespace. */
export type Script =
  | { ns: string; tool: 'ip'; lines: string[] }
  | { ns: string; tool: 'bridge'; lines: string[] }
  | { ns: string; tool: 'sysctl'; settings: Record<string, string> }
  | { ns: string; tool: 'iptables-restore'; text: string }
  | { ns: string; tool: 'ip6tables-restore'; text: string }
  | { ns: string; tool: 'nft'; text: string };

export function planTopology(opts: TopologyOptions): TopologyPlan {
  const maxNodes = opts.ipv4 === false ? A.MAX_NODES_IPV6_ONLY : A.MAX_NODES;
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > maxNodes) {
    throw new Error(opts.ipv4 === false ? `nodes must be 1..${maxNodes} in an IPv6-only lab, got ${opts.nodes}`
      : `nodes must be 1..${maxNodes} in a lab with IPv4 (node N's pod /27 is 203.0.113.(32·N), the service range starts at .224), ` +
        `got ${opts.nodes}; an IPv6-only lab (--ip-families IPv6) takes up to ${A.MAX_NODES_IPV6_ONLY}`);
  }
  if (opts.managers < 0 || opts.managers > A.MAX_MANAGERS) throw new Error(`managers must be 0..${A.MAX_MANAGERS}`);
  const names = labNames(opts.prefix);
  const allNetns = [names.lanNs, names.routerNs, names.externalNs,
    ...range(opts.nodes).map(names.nodeNs), ...range(opts.managers).map(names.managerNs)];
  return { ...opts, names, allNetns };
}

const QUIET_NETNS = {
  'net.ipv6.conf.all.disable_ipv6': '1',
  'net.ipv6.conf.default.disable_ipv6': '1',
};

/** Everything but pods, in order: namespaces first, then the LAN, router, external, nodes, managers. */
export function renderTopology(plan: TopologyPlan): Script[] {
  const n = plan.names;
  const scripts: Script[] = [];
  for (const ns of plan.allNetns) scripts.push({ ns, tool: 'sysctl', settings: QUIET_NETNS });

  // The LAN: a bridge inside its own namespace; every member gets a veth whose bridge end lives here.
  const lan: string[] = ['link set lo up', `link add ${n.bridge} type bridge forward_delay 0`];
  const member = (port: string, peer: string, peerNs: string): string[] => [
    `link add ${port} type veth peer name ${peer} netns ${peerNs}`,
    `link set ${port} master ${n.bridge}`,
    `link set ${port} up`,
  ];
  lan.push(...member(n.routerLanPort, n.routerLan, n.routerNs));
  for (const i of range(plan.nodes)) lan.push(...member(n.nodeLanPort(i), n.nodeUplink(i), n.nodeNs(i)));
  for (const i of range(plan.managers)) lan.push(...member(n.managerLanPort(i), n.managerUplink(i), n.managerNs(i)));
  lan.push(`link set ${n.bridge} up`);
  scripts.push({ ns: n.lanNs, tool: 'ip', lines: lan });
  if (plan.overlay) {
    // What makes it an overlay: the LAN carries no frame from or to a pod address.
    scripts.push({ ns: n.lanNs, tool: 'nft', text: renderLanPodFilter(plan) });
  }

  // Router: LAN ↔ external, plain forwarding, no NAT, no route to pods.
  scripts.push({ ns: n.routerNs, tool: 'sysctl', settings: { 'net.ipv4.ip_forward': '1' } });
  const v4 = plan.ipv4 !== false;
  const only4 = (lines: string[]) => (v4 ? lines : []);
  scripts.push({ ns: n.routerNs, tool: 'ip', lines: [
    'link set lo up',
    `link add ${n.routerExt} type veth peer name ${n.externalIf} netns ${n.externalNs}`,
    ...only4([`addr add ${A.ROUTER_LAN_IP}/${A.LAN_PREFIX_LEN} dev ${n.routerLan}`, `addr add ${A.ROUTER_EXT_IP}/24 dev ${n.routerExt}`]),
    `link set ${n.routerLan} up`,
    `link set ${n.routerExt} up`,
  ] });

  scripts.push({ ns: n.externalNs, tool: 'ip', lines: [
    'link set lo up',
    ...only4([A.ECHO_IP, A.ECHO_IP_2, A.ECHO_IP_3].map((ip) => `addr add ${ip}/24 dev ${n.externalIf}`)),
    `link set ${n.externalIf} up`,
    ...only4([`route add default via ${A.ROUTER_EXT_IP}`]),
  ] });

  for (const i of range(plan.nodes)) scripts.push(...renderNode(plan, i));

  for (const i of range(plan.managers)) {
    scripts.push({ ns: n.managerNs(i), tool: 'ip', lines: [
      'link set lo up',
      ...only4([`addr add ${A.managerIP(i)}/${A.LAN_PREFIX_LEN} dev ${n.managerUplink(i)}`]),
      `link set ${n.managerUplink(i)} up`,
      ...only4([`route add default via ${A.ROUTER_LAN_IP}`]),
    ] });
  }
  return scripts;
}

/**
 * A node: uplink, default route, the host-gw CNI (routes to the other nodes' pod /27s) and masquerade.
 * An IPv6-only lab's node: its uplink only (ipv6.ts does the rest).
 */
export function renderNode(plan: TopologyPlan, i: number): Script[] {
  const n = plan.names;
  const ns = n.nodeNs(i);
  const up = n.nodeUplink(i);
  if (plan.ipv4 === false) return [{ ns, tool: 'ip', lines: ['link set lo up', `link set ${up} up`] }];
  const lines = [
    'link set lo up',
    `addr add ${A.nodeIP(i)}/${A.LAN_PREFIX_LEN} dev ${up}`,
    `link set ${up} up`,
    `route add default via ${A.ROUTER_LAN_IP}`,
  ];
  const others = range(plan.nodes).filter((k) => k !== i);
  const fdb: string[] = [];
  if (!plan.overlay) {
    for (const k of others) lines.push(`route add ${A.podCidr(k)} via ${A.nodeIP(k)} dev ${up}`);
  } else {
    // flannel-style: static VTEP MACs, one neighbour + one fdb entry per peer, routes onlink via the
    // peer's VTEP address. `dev <uplink>` pins the outer packet to the LAN.
    const vx = n.cniVxlan;
    lines.push(
      `link add ${vx} address ${A.cniVtepMac(i)} type vxlan id ${A.CNI_VXLAN_VNI} dstport ${A.CNI_VXLAN_PORT} ` +
        `local ${A.nodeIP(i)} dev ${up} nolearning`,
      `addr add ${A.cniVtepIP(i)}/32 dev ${vx}`,
      `link set ${vx} up`,
    );
    for (const k of others) {
      lines.push(
        `neigh add ${A.cniVtepIP(k)} lladdr ${A.cniVtepMac(k)} dev ${vx} nud permanent`,
        `route add ${A.podCidr(k)} via ${A.cniVtepIP(k)} dev ${vx} onlink`,
      );
      fdb.push(`fdb append ${A.cniVtepMac(k)} dev ${vx} dst ${A.nodeIP(k)}`);
    }
  }
  return [
    { ns, tool: 'sysctl', settings: { 'net.ipv4.ip_forward': '1' } },
    { ns, tool: 'ip', lines },
    ...(fdb.length ? [{ ns, tool: 'bridge' as const, lines: fdb }] : []),
    { ns, tool: 'iptables-restore', text: renderNodeMasquerade(plan) },
  ];
}

/** Node masquerade of the pod CIDR to anything outside it, in a chain named with the run prefix. */
export function renderNodeMasquerade(plan: TopologyPlan): string {
  const chain = plan.names.masqChain;
  return [
    '*nat',
    `:${chain} - [0:0]`,
    `-A POSTROUTING -s ${A.POD_CIDR} -m comment --comment "lab CNI masquerade" -j ${chain}`,
    `-A ${chain} -d ${A.POD_CIDR} -j RETURN`,
    `-A ${chain} -j MASQUERADE`,
    'COMMIT',
    '',
  ].join('\n');
}

export function renderLanPodFilter(plan: TopologyPlan): string {
  const t = plan.names.lanFilterTable;
  return [
    `table bridge ${t} {`,
    `  chain ${t}-fwd {`,
    '    type filter hook forward priority 0; policy accept;',
    `    ip saddr ${A.POD_CIDR} counter drop`,
    `    ip daddr ${A.POD_CIDR} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * A pod: its own namespace behind a veth. The node side carries the node's pod gateway address (/32)
 * and a /32 route to the pod; the pod has a /32 address and `default via` that gateway.
 */
export function renderPod(plan: TopologyPlan, pod: PodPlan): Script[] {
  const n = plan.names;
  const gw = A.podGatewayIP(pod.node);
  const hostIf = n.podHostIf(pod.index);
  const podIf = n.podIf(pod.index);
  const podNs = n.podNs(pod.index);
  if (plan.ipv4 === false) {
    // an IPv6-only lab: the veth alone; ipv6.ts' renderPodIPv6 addresses it
    return [
      { ns: podNs, tool: 'sysctl', settings: QUIET_NETNS },
      { ns: n.nodeNs(pod.node), tool: 'ip', lines: [`link add ${hostIf} type veth peer name ${podIf} netns ${podNs}`, `link set ${hostIf} up`] },
      { ns: podNs, tool: 'ip', lines: ['link set lo up', `link set ${podIf} up`] },
    ];
  }
  return [
    { ns: podNs, tool: 'sysctl', settings: QUIET_NETNS },
    { ns: n.nodeNs(pod.node), tool: 'ip', lines: [
      `link add ${hostIf} type veth peer name ${podIf} netns ${podNs}`,
      `addr add ${gw}/32 dev ${hostIf}`,
      `link set ${hostIf} up`,
      `route add ${pod.ip}/32 dev ${hostIf} scope link src ${gw}`,
    ] },
    { ns: podNs, tool: 'ip', lines: [
      'link set lo up',
      `addr add ${pod.ip}/32 dev ${podIf}`,
      `link set ${podIf} up`,
      `route add ${gw} dev ${podIf} scope link`,
      `route add default via ${gw} dev ${podIf}`,
    ] },
  ];
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, k) => k + 1);
}
