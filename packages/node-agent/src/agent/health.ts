// The agent's /healthz, probed by the manager over the node IP every ~100 ms (DESIGN §5).
// 200 with a JSON body `{"status":"ok","egressIPs":[...],"fenced":false,"leaseMs":400,...}`: the
// egress addresses this node actually has on its uplink (not the desired ones), so the manager can
// confirm that a drained node released an IP before another node claims it, and how long after a
// probe is sent this node's kernel lease may run (the manager moves an IP off a lost node only after
// that). Anyone may read it; only a probe signed with the managers' key (controller-kit probe-auth)
// that vouches for this node and arrives in time is contact: it renews the kernel lease (issue 14 §3).
import { PROBE_AUTH_HEADER, PROBE_RUN_HEADER, type ProbeVerifier, type RouteHandler } from '@static-egress/controller-kit';
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
}

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
  if (!o.verifier || token === undefined) return null; // an ordinary reader: allowed, grants nothing
  const v = o.verifier.verify(token, o.now(), runHeader);
  if (!v.ok) {
    o.onRefused?.(v.reason);
    return null;
  }
  if (o.lease) return o.lease.contact(v.sentAt, v.renew, v.run);
  return v.renew ? { leaseMs: Number.POSITIVE_INFINITY, fenceMs: Number.POSITIVE_INFINITY, ...(v.run ? { run: v.run } : {}) } : null;
}

export function healthzRoute(o: HealthzOptions): RouteHandler {
  return (req, res) => {
    const contact = acceptProbe(o, req.headers[PROBE_AUTH_HEADER], req.headers[PROBE_RUN_HEADER]);
    if (contact && (contact.leaseMs > 0 || contact.fenceMs > 0)) o.fence.contact(contact);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(healthzBody(o))}\n`);
  };
}
