// Whether the agent runs the IPv6 state (dual stack, issue 11), decided at start: when its own Node
// has an IPv6 InternalIP. An IPv4-only cluster's agents then never read or write anything of IPv6
// (no ip6tables, no ip6 nft table); a Node that gains an IPv6 address is served after a restart.
import type { V1Node } from '@kubernetes/client-node';
import { nodeAddressesOf } from '@static-egress/crds';
import type { OwnedRanges } from '../desired/types.js';
import type { Kernel } from '../kernel/interfaces.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { ipv6RenderConfig } from '../render/family.js';
import type { RenderConfig } from '../render/types.js';
import type { DataPlane } from './agent.js';

export function ipv6DataPlane(node: V1Node | undefined, kernel6: Kernel, render: RenderConfig, ranges: OwnedRanges): DataPlane['v6'] {
  if (!nodeAddressesOf(node).internalIPv6) return undefined;
  const r6 = ipv6RenderConfig(render);
  return { syncer: new NodeSyncer(kernel6, { render: r6, ranges }), render: r6 };
}
