// The agent's /healthz, probed by the manager over the node IP every few hundred ms (DESIGN §5).
// 200 with a JSON body `{"status":"ok","egressIPs":[...]}`: the egress addresses this node actually
// has on its uplink (not the desired ones), so the manager can confirm that a drained node released
// an IP before another node claims it (packages/gateway-manager/src/health/prober.ts httpProbe).
// A probe from another host is the manager's: it counts as contact for self-fencing.
import type { RouteHandler } from '@static-egress/controller-kit';
import { sortIPs } from '../desired/compute.js';
import { type Fence, isRemoteProbe } from '../fencing/fence.js';

export interface HealthzBody {
  status: 'ok';
  /** absent until the agent has read the kernel once (after a restart it does not know yet) */
  egressIPs?: string[];
  /** self-fenced: no egress address is held (they have been, or are being, dropped) */
  fenced: boolean;
}

export interface HealthzOptions {
  fence: Fence;
  /** this host's addresses: a probe from one of them (or loopback) is not the manager's */
  localIPs: () => ReadonlySet<string>;
  /** the egress addresses on the uplink now (NodeSyncer.heldAddresses); null while unknown */
  held: () => ReadonlySet<string> | null;
  /** the agent's fence verdict (a node holding nothing is never fenced) */
  fenced: () => boolean;
}

export function healthzBody(o: Pick<HealthzOptions, 'held' | 'fenced'>): HealthzBody {
  const held = o.held();
  return { status: 'ok', ...(held ? { egressIPs: sortIPs(held) } : {}), fenced: o.fenced() };
}

export function healthzRoute(o: HealthzOptions): RouteHandler {
  return (req, res) => {
    if (isRemoteProbe(req.socket.remoteAddress, o.localIPs())) o.fence.contact('manager');
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(healthzBody(o))}\n`);
  };
}
