import type { V1Node } from '@kubernetes/client-node';
import { nodeAddressesOf } from '@static-egress/crds';
import type { AssignNode } from '../assign/assign.js';

/** What the manager needs of a Node: its assignment view, where its agent listens, its addresses. */
export interface NodeInfo extends AssignNode {
  /** The IPv4 InternalIP the agent is probed on (first one), if any. */
  internalIP?: string;
  /** Every IPv4 address of status.addresses (egress IPs must not be one). */
  addresses: string[];
}

/**
 * Reads a Node as the manager sees it. NotReady (Ready condition not True) counts as unhealthy at
 * once; spec.unschedulable (cordon) makes the node drain; a deletionTimestamp counts as deleted.
 */
export function parseNode(node: V1Node): NodeInfo {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const { internalIP, addresses } = nodeAddressesOf(node);
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    ready,
    cordoned: node.spec?.unschedulable === true,
    deleted: node.metadata?.deletionTimestamp !== undefined,
    ...(internalIP ? { internalIP } : {}),
    addresses,
  };
}
