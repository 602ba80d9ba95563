// The agent's /healthz, probed by the manager over the node IP every ~100 ms (DESIGN §5).
// 200 with a JSON body `{"status":"ok","egressIPs":[...],"fenced":false,"leaseMs":400,...}`: the
// egress addresses this node actually has on its uplink (not the desired ones), so the manager can
// confirm that a drained node released an IP before another node claims it, and how long after a
// probe is sent this node's kernel lease may run (the manager moves an IP off a lost node only after
// that). Anyone may read it; only a probe signed with the managers' key (controller-kit probe-auth)
// that vouches for this node and arrives in time is contact: it renews the kernel lease (issue 14 §3).
import { PROBE_AUTH_HEADER, PROBE_ORDER_HEADER, PROBE_RUN_HEADER, type ProbeOrder, type ProbeVerifier, type RouteHandler } from '@static-egress/controller-kit';
import { sortIPs } from '../desired/compute.js';
import type { Contact } from '../fencing/contact.js';
import type { LeaseKeeper } from '../fencing/lease-keeper.js';

export interface HealthzBody {
  status: 'ok';
  /** absent until the agent has read the kernel once (after a restart it does not know yet) */
  egressIPs?: string[];
  /** self-fenced: no egress address is held (they have been, or are being, dropped) */
  fenced: boolean;
  /** how long after a vouching probe is sent this node may still announce its IPs */
  leaseMs?: number;
  /** how long it may while its agent restarts (the lease is stretched on SIGTERM) */
  restartLeaseMs?: number;
}

export interface HealthzOptions {
  /** takes a manager's contact (the Fence, or SelfFencing, which also asks for a pass when a lapse ends) */
  fence: { contact(c: Contact | number): unknown };
  /** checks the probe's signature; absent: no probe is contact (no key configured) */
  verifier?: ProbeVerifier;
  lease?: Pick<LeaseKeeper, 'contact' | 'reportedLeaseMs'> & { restartLeaseMs: number };
  now: () => number;
  /** the egress addresses on the uplink now (NodeSyncer.heldAddresses); null while unknown */
  held: () => ReadonlySet<string> | null;
  /** the agent's fence verdict (a node holding nothing is never fenced) */
  fenced: () => boolean;
  /** an authenticated probe was refused (metrics, debug log) */
  onRefused?: (reason: string) => void;
  /**
   * A manager's signed order (issue 16, agent/orders.ts): resolves once a pass has acted on it; the
   * probe's answer waits for that (at most ORDER_ANSWER_MAX_MS), so its egressIPs confirm the order.
   */
  onOrder?: (order: ProbeOrder, sentAt: number) => Promise<unknown>;
}

/** The longest an order's answer waits for the pass that acts on it. */
export const ORDER_ANSWER_MAX_MS = 500;

export function healthzBody(o: Pick<HealthzOptions, 'held' | 'fenced' | 'lease'>): HealthzBody {
  const held = o.held();
  return {
    status: 'ok', ...(held ? { egressIPs: sortIPs(held) } : {}), fenced: o.fenced(),
    ...(o.lease ? { leaseMs: o.lease.reportedLeaseMs, restartLeaseMs: o.lease.restartLeaseMs } : {}),
  };
}

/**
 * What this request is as a manager's contact (null: none): signed, vouching, in time — the kernel
 * lease is renewed for its lease grant (contact.ts: the fence has a longer lateness budget).
 */
export function acceptProbe(
  o: Pick<HealthzOptions, 'verifier' | 'lease' | 'now' | 'onRefused'>, token: string | string[] | undefined, runHeader?: string | string[],
): Contact | null {
  return verifyProbe(o, token, runHeader).contact;
}

/** The probe as contact, and the order it carries (signed with its token) if any. */
export function verifyProbe(
  o: Pick<HealthzOptions, 'verifier' | 'lease' | 'now' | 'onRefused'>, token: string | string[] | undefined, runHeader?: string | string[], orderHeader?: string | string[],
): { contact: Contact | null; order?: { order: ProbeOrder; sentAt: number } } {
  if (!o.verifier || token === undefined) return { contact: null }; // an ordinary reader: allowed, grants nothing
  const v = o.verifier.verify(token, o.now(), runHeader, orderHeader);
  if (!v.ok) {
    o.onRefused?.(v.reason);
    return { contact: null };
  }
  const order = v.order ? { order: { order: v.order, sentAt: v.sentAt } } : {};
  if (o.lease) return { contact: o.lease.contact(v.sentAt, v.renew, v.run), ...order };
  return { contact: v.renew ? { leaseMs: Number.POSITIVE_INFINITY, fenceMs: Number.POSITIVE_INFINITY, ...(v.run ? { run: v.run } : {}) } : null, ...order };
}

export function healthzRoute(o: HealthzOptions): RouteHandler {
  return async (req, res) => {
    const { contact, order } = verifyProbe(o, req.headers[PROBE_AUTH_HEADER], req.headers[PROBE_RUN_HEADER], req.headers[PROBE_ORDER_HEADER]);
    if (contact && (contact.leaseMs > 0 || contact.fenceMs > 0)) o.fence.contact(contact);
    if (order && o.onOrder) await settledWithin(o.onOrder(order.order, order.sentAt), ORDER_ANSWER_MAX_MS);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(healthzBody(o))}\n`);
  };
}

function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })])
    .finally(() => clearTimeout(timer));
}
