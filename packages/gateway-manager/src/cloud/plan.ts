// Pure: what the assignment wants, against what the cloud holds → the cloud calls to make and what may
// be published. The order (docs/CONTRACTS.md, "Cloud mode"): the cloud holds an IP on the new node
// before status names that node, so its agent claims (address, GARP) only an IP the cloud already
// delivers to it; and the cloud takes an IP from a node only after its agent let go of it (the IP is
// no longer assigned there and not awaiting a release), or the node is dead and fenced. So the cloud
// always holds a superset of what the kernels announce, and status never names a node the cloud does
// not deliver to.
import type { CloudInterface } from './provider.js';

export type CloudOp =
  /** Make ip an address of `to` and of none of `from` (a failover or a handover). */
  | { kind: 'assign'; ip: string; to: string; from: string[] }
  /** Take ip off `node`: nobody wants it there and its agent has let go. */
  | { kind: 'release'; ip: string; node: string };

export interface CloudPlanInput {
  /** ip → node, as assignEgressIPs placed it. */
  desired: ReadonlyMap<string, string>;
  /** node → its interface now. */
  interfaces: ReadonlyMap<string, CloudInterface>;
  /** ip → a live node that still has to let go of it (assignEgressIPs' `releasing`). */
  releasing: ReadonlyMap<string, string>;
  /** Addresses this manager owns on interfaces (the pools' ranges); others are never touched. */
  isEgressIP: (ip: string) => boolean;
}

export interface CloudPlan {
  /** ip → node: desired, and held by that node's interface alone. Only these are published. */
  held: Map<string, string>;
  /** ip → node: desired but not (only) on that node's interface yet. */
  pending: Map<string, string>;
  ops: CloudOp[];
}

export function computeCloudPlan(input: CloudPlanInput): CloudPlan {
  const holders = holdersOf(input.interfaces, input.isEgressIP);
  const plan: CloudPlan = { held: new Map(), pending: new Map(), ops: [] };
  for (const [ip, node] of input.desired) {
    const on = holders.get(ip) ?? [];
    if (on.length === 1 && on[0] === node) {
      plan.held.set(ip, node);
      continue;
    }
    plan.pending.set(ip, node);
    const from = on.filter((n) => n !== node);
    const waiting = from.some((n) => input.releasing.get(ip) === n);
    if (input.interfaces.has(node) && !waiting) plan.ops.push({ kind: 'assign', ip, to: node, from });
  }
  for (const [ip, nodes] of holders) {
    if (input.desired.has(ip)) continue; // the assign above takes it from the others
    for (const node of nodes) if (input.releasing.get(ip) !== node) plan.ops.push({ kind: 'release', ip, node });
  }
  return plan;
}

/** ip → the nodes whose interface holds it, for egress IPs only. */
function holdersOf(interfaces: ReadonlyMap<string, CloudInterface>, isEgressIP: (ip: string) => boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [node, iface] of interfaces) {
    for (const ip of iface.secondary) {
      if (!isEgressIP(ip)) continue;
      const list = out.get(ip);
      if (list) list.push(node);
      else out.set(ip, [node]);
    }
  }
  return out;
}
