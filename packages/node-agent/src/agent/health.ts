// The agent's /healthz, probed by the manager over the node IP every ~100 ms (DESIGN §5).
// 200 with a JSON body `{"status":"ok","egressIPs":[...],"fenced":false,"leaseMs":400,...}`: the
// egress addresses this node actually has on its uplink (not the desired ones), so the manager can
// confirm that a drained node released an IP before another node claims it, and how long after a
// probe is sent this node's kernel lease may run (the manager moves an IP off a lost node only after
// that). Anyone may read it; only a probe signed with the managers' key (controller-kit probe-auth)
// that vouches for this node and arrives in time is contact: it renews the kernel lease (issue 14 §3).
import { PROBE_AUTH_HEADER, type ProbeVerifier, type RouteHandler } from '@static-egress/controller-kit';
import { sortIPs } from '../desired/compute.js';
import type { Fence } from '../fencing/fence.js';
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
  fence: Fence;
  /** checks the probe's signature; absent: no probe is contact (no key configured) */
  verifier?: ProbeVerifier;
  lease?: Pick<LeaseKeeper, 'probe' | 'reportedLeaseMs'> & { restartLeaseMs: number };
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
 * For how many ms this request is a manager's contact (0: none): signed, vouching, in time. Renews
 * the kernel lease for that long if so.
 */
export function acceptProbe(o: Pick<HealthzOptions, 'verifier' | 'lease' | 'now' | 'onRefused'>, token: string | string[] | undefined): number {
  if (!o.verifier || token === undefined) return 0; // an ordinary reader: allowed, grants nothing
  const v = o.verifier.verify(token, o.now());
  if (!v.ok) {
    o.onRefused?.(v.reason);
    return 0;
  }
  if (o.lease) return o.lease.probe(v.sentAt, v.renew);
  return v.renew ? Number.POSITIVE_INFINITY : 0;
}

export function healthzRoute(o: HealthzOptions): RouteHandler {
  return (req, res) => {
    const granted = acceptProbe(o, req.headers[PROBE_AUTH_HEADER]);
    if (granted > 0) o.fence.contact(granted);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(healthzBody(o))}\n`);
  };
}
