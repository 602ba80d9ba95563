// The IPv6 state's VXLAN tunnel, outside and next hops (issue 11, render/vxlan.ts). In a dual-stack
// cluster inner IPv6 rides the IPv4 underlay the IPv4 tunnel uses (the nodes' IPv4 InternalIPs); in
// an IPv6-only one it rides IPv6 (the nodes' IPv6 InternalIPs).
// A director's route goes `via` the gateway's tunnel link-local address (fe80:: + the EUI-64 of its
// VTEP MAC: what the kernel gives the gateway's device), not its IPv6 InternalIP: the kernel refuses
// an `onlink` IPv6 gateway that a connected route of the main table puts on another device (the
// InternalIP is on the uplink's /64), while a link-local gateway belongs to the tunnel alone. A gateway
// without an address of the underlay's family cannot be reached: its routes become unreachable
// (fail closed). Pure.
import { createHash } from 'node:crypto';
import { ipFamilyOf, ipFromHex, ipToHex } from '@static-egress/crds';
import type { IPv6Nodes } from './family.js';
import type { DirectorEntry, NodeState, NodeStateInput, VxlanPeer } from './types.js';

/** The IPv6 state's tunnel outside: its own underlay address and its peers'. */
export interface VxlanUnderlay {
  local: string;
  /** a peer's next hop (its tunnel link-local address) → its underlay address */
  peers: ReadonlyMap<string, string>;
}

/** A NodeState as the agent hands it to renderState; `underlay` only on the IPv6 state in VXLAN mode. */
export type UnderlaidState = NodeState & { underlay?: VxlanUnderlay };

/**
 * The IPv6 tunnel's VTEP MAC of an underlay address (either family): locally administered unicast,
 * 40 bits of its hash, so nodes of one /64 (alike in their first bytes) do not collide.
 */
export function vtepMAC6(underlayIP: string): string {
  const h = createHash('sha256').update(ipToHex(underlayIP)).digest('hex');
  return ['0e', ...[0, 2, 4, 6, 8].map((k) => h.slice(k, k + 2))].join(':');
}

/** fe80:: + the modified EUI-64 of the MAC (RFC 4291 appendix A). */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  return ipFromHex(`fe80${'0'.repeat(12)}${eui.map((x) => x.toString(16).padStart(2, '0')).join('')}`)!;
}

/** A peer's next hop in the IPv6 tunnel: the link-local address of its device, from its underlay address. */
export function tunnelNextHop(underlayIP: string): string {
  return linkLocalOf(vtepMAC6(underlayIP));
}

type UnderlayInput = Pick<NodeStateInput, 'nodeIP' | 'nodes'> & IPv6Nodes;

/** This node's underlay address and each peer node's (null: it has none of that family). */
function underlayOf(input: UnderlayInput): { local: string; of: (peer: VxlanPeer) => string | undefined } | null {
  const v4 = ipFamilyOf(input.nodeIP) === 4;
  const local = v4 ? input.nodeIP : input.nodeIP6;
  if (!local) return null;
  const of = (p: VxlanPeer) => {
    const u = v4 ? input.nodes.get(p.node) : p.ip;
    return u && ipFamilyOf(u) === ipFamilyOf(local) ? u : undefined;
  };
  return { local, of };
}

/**
 * The IPv6 state with its tunnel (VXLAN mode; in direct mode it is returned as it is): routes and
 * peers by the gateways' tunnel link-local addresses, and the underlay render/vxlan.ts needs.
 */
export function withVxlanUnderlay(state6: NodeState, input: UnderlayInput): UnderlaidState {
  if (state6.mode !== 'vxlan') return state6;
  const u = underlayOf(input);
  const byNode = new Map<string, { hop: string; under: string }>();
  for (const p of state6.vxlanPeers) {
    const under = u?.of(p);
    if (under) byNode.set(p.node, { hop: tunnelNextHop(under), under });
  }
  const director = state6.director.map((d): DirectorEntry => {
    if (d.route.kind !== 'vxlan') return d;
    const peer = byNode.get(d.route.gatewayNode);
    return { ...d, route: peer ? { ...d.route, via: peer.hop } : { kind: 'unreachable' } };
  });
  const vxlanPeers = [...byNode].map(([node, p]) => ({ node, ip: p.hop })).sort((a, b) => (a.ip < b.ip ? -1 : 1));
  const out: UnderlaidState = { ...state6, director, vxlanPeers };
  if (u) out.underlay = { local: u.local, peers: new Map([...byNode.values()].map((p) => [p.hop, p.under])) };
  return out;
}
