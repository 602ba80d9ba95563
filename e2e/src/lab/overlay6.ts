// The overlay CNI's IPv6 (issue 11): pods' IPv6 behind the CNI's own VXLAN, beside topology.ts'
// IPv4 overlay. In a dual-stack lab the one CNI device (IPv4 underlay) carries inner IPv6 too; in an
// IPv6-only lab the device is made here, over the nodes' IPv6 addresses. Routes to the other nodes'
// pod /64s go via a link-local next hop per node (a global one on the LAN's /64 would be refused as
// an onlink gateway of another device), whose permanent neighbour entry is that node's VTEP MAC.
// The LAN drops IPv6 frames from or to a pod address too. Pure.
import * as A from './addressing.js';
import { nodeIP6, podCidr6, POD_CIDR6 } from './ipv6.js';
import type { Script, TopologyPlan } from './topology.js';
import { range } from './topology.js';

/** Node i's CNI device as a next hop, link-local: fe80::5e:<i>. */
export function cniVtepIP6(i: number): string {
  return `fe80::5e:${i.toString(16)}`;
}

/** Node i's IPv6 routes into the CNI overlay (and, IPv6-only, the device itself with its fdb). */
export function renderCniOverlay6(plan: TopologyPlan, i: number): Script[] {
  const n = plan.names;
  const vx = n.cniVxlan;
  const others = range(plan.nodes).filter((k) => k !== i);
  const lines: string[] = [];
  const fdb: string[] = [];
  if (plan.ipv4 === false) {
    lines.push(
      `link add ${vx} address ${A.cniVtepMac(i)} type vxlan id ${A.CNI_VXLAN_VNI} dstport ${A.CNI_VXLAN_PORT} ` +
        `local ${nodeIP6(i)} dev ${n.nodeUplink(i)} nolearning`,
      `link set ${vx} up`,
    );
    fdb.push(...others.map((k) => `fdb append ${A.cniVtepMac(k)} dev ${vx} dst ${nodeIP6(k)}`));
  }
  for (const k of others) {
    lines.push(`neigh add ${cniVtepIP6(k)} lladdr ${A.cniVtepMac(k)} dev ${vx} nud permanent`, `route add ${podCidr6(k)} via ${cniVtepIP6(k)} dev ${vx}`);
  }
  return [
    { ns: n.nodeNs(i), tool: 'ip', lines },
    ...(fdb.length ? [{ ns: n.nodeNs(i), tool: 'bridge' as const, lines: fdb }] : []),
  ];
}

/** Added to topology.ts' LAN filter table: no IPv6 frame from or to a pod address either. */
export function renderLanPodFilter6(plan: TopologyPlan): string {
  const t = plan.names.lanFilterTable;
  return [
    `add table bridge ${t}`,
    `add chain bridge ${t} ${t}-fwd { type filter hook forward priority 0; policy accept; }`,
    `add rule bridge ${t} ${t}-fwd ip6 saddr ${POD_CIDR6} counter drop`,
    `add rule bridge ${t} ${t}-fwd ip6 daddr ${POD_CIDR6} counter drop`,
    '',
  ].join('\n');
}
