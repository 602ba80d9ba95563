// VXLAN mode's tunnel (issue 11: either underlay family, both inner families). Each family's state
// owns a device of its own, so the two syncers never share a kernel object:
//   IPv4 state  `segress.vx`  VNI,     inner IPv4, underlay IPv4 (the node's IPv4 InternalIP)
//   IPv6 state  `segress.vx6` VNI + 1, inner IPv6, underlay the node's IPv4 InternalIP where it has
//               one (dual stack), else its IPv6 one (IPv6-only)
// Both devices may share an IPv4 underlay and the UDP port, so the IPv6 one takes the next VNI (the
// kernel refuses two devices of one VNI, port and underlay family). Inner IPv6 routes go `via` the
// gateway's tunnel link-local address (desired/underlay.ts); its permanent neighbour entry is the
// gateway's VTEP MAC, and the fdb sends that MAC to the gateway's underlay address. Pure.
import { ipFamilyOf } from '@static-egress/crds';
import type { NodeState } from '../desired/types.js';
import { vtepMAC6, type UnderlaidState } from '../desired/underlay.js';
import { vtepMAC } from './names.js';
import type { RenderConfig, VxlanDeviceIntent, VxlanIntent } from './types.js';

export const NO_TUNNEL: VxlanIntent = { device: null, neighbors: [], fdb: [] };

const MAX_VNI = 16_777_215;

/** The IPv6 state's device and VNI (render/family.ts' ipv6RenderConfig). */
export function ipv6TunnelConfig(cfg: Pick<RenderConfig, 'vxlanDevice' | 'vxlanVNI'>): Pick<RenderConfig, 'vxlanDevice' | 'vxlanVNI'> {
  return { vxlanDevice: `${cfg.vxlanDevice}6`, vxlanVNI: cfg.vxlanVNI < MAX_VNI ? cfg.vxlanVNI + 1 : cfg.vxlanVNI - 1 };
}

/** Bytes the outer headers take: outer IP (20 or 40) + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export function vxlanOverhead(local: string): number {
  return ipFamilyOf(local) === 6 ? 70 : 50;
}

function tunnel4(state: NodeState, cfg: RenderConfig): VxlanIntent {
  // an IPv6-only node's (empty) IPv4 state: no IPv4 underlay, no tunnel
  if (ipFamilyOf(state.nodeIP) !== 4) return NO_TUNNEL;
  return {
    device: { name: cfg.vxlanDevice, vni: cfg.vxlanVNI, port: cfg.vxlanPort, local: state.nodeIP, uplink: cfg.uplink, mac: vtepMAC(state.nodeIP) },
    neighbors: state.vxlanPeers.map((p) => ({ ip: p.ip, mac: vtepMAC(p.ip) })),
    fdb: state.vxlanPeers.map((p) => ({ mac: vtepMAC(p.ip), dst: p.ip, via: cfg.uplink })),
  };
}

function tunnel6(state: UnderlaidState, cfg: RenderConfig): VxlanIntent {
  // desired/underlay.ts: the peers are by their tunnel link-local address, each with its underlay address
  const local = state.underlay?.local ?? state.nodeIP;
  const peers = state.vxlanPeers.flatMap((p) => {
    const under = state.underlay?.peers.get(p.ip);
    return under ? [{ ip: p.ip, mac: vtepMAC6(under), under }] : [];
  });
  return {
    device: { name: cfg.vxlanDevice, vni: cfg.vxlanVNI, port: cfg.vxlanPort, local, uplink: cfg.uplink, mac: vtepMAC6(local), inner: 6 },
    neighbors: peers.map((p) => ({ ip: p.ip, mac: p.mac })),
    fdb: peers.map((p) => ({ mac: p.mac, dst: p.under, via: cfg.uplink })),
  };
}

/** The tunnel of one family's state: none in direct mode. `cfg` is that family's (ipv6RenderConfig for IPv6). */
export function renderVxlan(state: UnderlaidState, cfg: RenderConfig): VxlanIntent {
  if (state.mode !== 'vxlan') return NO_TUNNEL;
  return state.family === 6 ? tunnel6(state, cfg) : tunnel4(state, cfg);
}

/** The device as one line of netlink text (render/netlink-text.ts). */
export function renderVxlanDeviceText(d: VxlanDeviceIntent): string {
  const tail = d.inner === 6 ? '' : ' rp_filter 2';
  return `vxlan ${d.name} id ${d.vni} dstport ${d.port} local ${d.local} dev ${d.uplink} address ${d.mac} mtu uplink-${vxlanOverhead(d.local)}${tail}`;
}
