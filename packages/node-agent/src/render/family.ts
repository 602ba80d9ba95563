// The IPv6 state's render configuration (issue 11). ip6tables chains live apart from iptables'
// (same names), but ipset names are one namespace for both families and nftables tables are per
// family: the IPv6 sets take the prefix `<ipsetPrefix>6` (`segress6-d-…`), which the IPv4 state's
// read (`segress-…`) never matches, and its guard and lease tables follow (`ip6 segress6_guard`).
// Its VXLAN tunnel is a device of its own (render/vxlan.ts: `segress.vx6`, the next VNI).
import type { RenderConfig } from './types.js';
import { ipv6TunnelConfig } from './vxlan.js';

export function ipv6IpsetPrefix(ipsetPrefix: string): string {
  return `${ipsetPrefix}6`;
}

export function ipv6RenderConfig(cfg: RenderConfig): RenderConfig {
  return { ...cfg, ipsetPrefix: ipv6IpsetPrefix(cfg.ipsetPrefix), ...ipv6TunnelConfig(cfg) };
}
