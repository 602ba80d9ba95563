// `node-agent --cleanup` (and --cleanup-on-exit's sibling): everything of ours goes, on the given
// uplink or on every interface carrying an address of ours — an IPv4 one labelled as ours, an IPv6
// nodad /128 — (lo when none does: the chains, sets, rules and routes are not per interface).
import { type AgentConfig, renderConfigOf } from '../config.js';
import type { Kernel } from '../kernel/interfaces.js';
import { addressLabel, type HostAddresses } from '../kernel/linux.js';
import { withIPv6Tunnel } from '../kernel/linux-vxlan.js';
import type { InterfaceAddress } from '../kernel/linux-netlink.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { ipv6RenderConfig } from '../render/family.js';

/** Pure: the interfaces that carry an address of ours (IPv4: with our label; IPv6: a nodad /128). */
export function devicesWithOurAddresses(addrs: readonly InterfaceAddress[]): string[] {
  return [...new Set(addrs.filter((a) => a.ours || (a.label !== undefined && a.label === addressLabel(a.dev))).map((a) => a.dev))];
}

/**
 * `kernel6`: the IPv6 state's capabilities (dual stack, issue 11), cleaned after the IPv4 ones;
 * `addresses6` lists the host's IPv6 addresses, so an IPv6-only node needs no --uplink either.
 */
export async function cleanupNode(
  cfg: AgentConfig, kernel: Kernel & HostAddresses, kernel6?: Kernel, addresses6?: () => Promise<InterfaceAddress[]>,
): Promise<void> {
  const devs = cfg.uplink ? [cfg.uplink] : devicesWithOurAddresses([...await kernel.interfaceAddresses(), ...(await addresses6?.() ?? [])]);
  for (const dev of devs.length ? devs : ['lo']) {
    const render = renderConfigOf(cfg, dev);
    await new NodeSyncer(kernel, { render, ranges: cfg.ranges }).cleanup();
    if (kernel6) await new NodeSyncer(withIPv6Tunnel(kernel6), { render: ipv6RenderConfig(render), ranges: cfg.ranges }).cleanup();
  }
}
