// What the leader tells agents on the probe channel when a pass moves egress IPs (issue 16 §1, §3,
// pure): the node that gains an IP is ordered to claim it, the node that loses it to release it, at
// once — the status written right after stays the record the agents (and the directors) follow. An
// order says exactly what that status says, only sooner, so it adds no state an agent could not have
// had from its watch: the invariants are the status's (one holder per IP; release before claim).
import type { StaticEgressIPStatus } from '@static-egress/crds';
import { MAX_ORDER_IPS, type ProbeOrder } from '@static-egress/controller-kit';

type Assignments = StaticEgressIPStatus['assignments'];

/** One policy's assignments as the cache has them and as the pass writes them. */
export interface AssignmentChange {
  before: Assignments | undefined;
  after: Assignments | undefined;
}

/** node → its order, for every node that gains or loses an egress IP in these changes. */
export function computeOrders(changes: Iterable<AssignmentChange>): Map<string, ProbeOrder> {
  const orders = new Map<string, { claim: string[]; release: string[] }>();
  const of = (node: string) => {
    let o = orders.get(node);
    if (!o) orders.set(node, o = { claim: [], release: [] });
    return o;
  };
  for (const { before, after } of changes) {
    const was = new Map((before ?? []).map((a) => [a.egressIP, a.node]));
    const now = new Map((after ?? []).map((a) => [a.egressIP, a.node]));
    for (const [ip, node] of was) if (now.get(ip) !== node) of(node).release.push(ip);
    for (const [ip, node] of now) if (was.get(ip) !== node) of(node).claim.push(ip);
  }
  for (const [node, o] of orders) {
    // one IP named twice for one node (two policies' statuses disagreeing mid-move): neither order
    const both = new Set(o.claim.filter((ip) => o.release.includes(ip)));
    o.claim = [...new Set(o.claim.filter((ip) => !both.has(ip)))].slice(0, MAX_ORDER_IPS);
    o.release = [...new Set(o.release.filter((ip) => !both.has(ip)))].slice(0, MAX_ORDER_IPS - o.claim.length);
    if (o.claim.length + o.release.length === 0) orders.delete(node);
  }
  return orders;
}
