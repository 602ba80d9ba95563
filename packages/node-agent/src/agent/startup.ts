// What the agent waits for before its first sync: warm caches, its own Node with an InternalIP,
// and the interface holding that IP, of either family (the uplink, unless --uplink names it).
import type { V1Node } from '@kubernetes/client-node';
import { waitForCacheSync, type Logger } from '@static-egress/controller-kit';
import { ipFamilyOf, type IPFamily } from '@static-egress/crds';
import type { InterfaceAddress } from '../kernel/linux-netlink.js';
import { nodeInternalIP } from './inputs.js';

/** Waits (for ever, warning every minute) until every informer has listed once. */
export async function waitForCaches(informers: Parameters<typeof waitForCacheSync>[0], logger: Logger): Promise<void> {
  for (;;) {
    try {
      await waitForCacheSync(informers, 60_000);
      return;
    } catch (err) {
      logger.warn({ err }, 'waiting for informer caches');
    }
  }
}

/** Waits (polling the cache every second) until our own Node has an InternalIP. */
export async function waitForNodeIP(nodes: { get(name: string): V1Node | undefined }, nodeName: string, logger: Logger): Promise<string> {
  let ip: string | undefined;
  while (!(ip = nodeInternalIP(nodes.get(nodeName)))) {
    logger.warn({ node: nodeName }, 'waiting for this Node and its InternalIP');
    await new Promise((r) => setTimeout(r, 1000));
  }
  return ip;
}

/** Pure: the interface that holds `ip`. */
export function uplinkHolding(addrs: readonly InterfaceAddress[], ip: string): string | undefined {
  return addrs.find((a) => a.ip === ip)?.dev;
}

/** The interface holding the Node's InternalIP, of its family (an IPv6-only node's is IPv6; issue 11). */
export async function findUplink(nodeIP: string, addresses: (family: IPFamily) => Promise<readonly InterfaceAddress[]>): Promise<string | undefined> {
  return uplinkHolding(await addresses(ipFamilyOf(nodeIP) ?? 4), nodeIP);
}
