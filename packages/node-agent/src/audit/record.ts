// The audit record of one translated connection, and its JSON line (docs/audit-log.md). Pure.
import type { V1Pod } from '@kubernetes/client-node';
import { canonicalIP } from '@static-egress/crds';
import type { ConntrackEvent } from './conntrack-event.js';

export interface PodRef {
  namespace: string;
  name: string;
}

/** Field order is the line's order: what a reader scans first comes first. */
export interface AuditRecord {
  time: string;
  audit: 'start' | 'end';
  node: string;
  protocol: string;
  podNamespace: string | null;
  podName: string | null;
  podIP: string;
  podPort: number | null;
  egressIP: string;
  egressPort: number | null;
  dstIP: string;
  dstPort: number | null;
  /** the kernel's conntrack id: a start and its end share it */
  flow: string;
  // end only; null when the node counts no bytes (nf_conntrack_acct off)
  bytesOut?: number | null;
  bytesIn?: number | null;
  packetsOut?: number | null;
  packetsIn?: number | null;
}

export interface DroppedRecord {
  time: string;
  audit: 'dropped';
  node: string;
  /** records not written since the previous summary, by the rate limit */
  count: number;
  sinceTime: string;
}

/**
 * The record of a conntrack event, or undefined when the event is no connection of ours: only a
 * connection whose reply goes to an egress IP this node holds, from a source that is not that IP
 * (it was translated). `opened` is the pod the start record named: the end of a logged start is
 * logged even when the IP has moved away or the pod is gone by then.
 */
export function renderAuditRecord(event: ConntrackEvent, podByIP: ReadonlyMap<string, PodRef>, heldIPs: ReadonlySet<string>,
  node: string, opened?: PodRef | null): AuditRecord | undefined {
  const { original: o, reply: r } = event;
  const ours = heldIPs.has(r.dst) || opened !== undefined;
  if (!ours || o.src === r.dst) return undefined;
  const pod = opened !== undefined ? opened : podByIP.get(o.src) ?? null;
  const rec: AuditRecord = {
    time: new Date(event.timeMs).toISOString(),
    audit: event.type === 'new' ? 'start' : 'end',
    node,
    protocol: event.protocol,
    podNamespace: pod?.namespace ?? null,
    podName: pod?.name ?? null,
    podIP: o.src,
    podPort: o.sport ?? null,
    egressIP: r.dst,
    egressPort: r.dport ?? null,
    // where the connection actually went: the reply's source (what the pod dialled unless DNATed)
    dstIP: r.src,
    dstPort: r.sport ?? null,
    flow: event.id,
  };
  if (event.type === 'destroy') {
    rec.bytesOut = o.bytes ?? null;
    rec.bytesIn = r.bytes ?? null;
    rec.packetsOut = o.packets ?? null;
    rec.packetsIn = r.packets ?? null;
  }
  return rec;
}

export function renderAuditLine(rec: AuditRecord | DroppedRecord): string {
  return `${JSON.stringify(rec)}\n`;
}

/**
 * Pod IP → pod, for the pods that can be behind a translated connection: running pods with their
 * own address (a host-network pod has the node's, a finished pod's address may be reused).
 */
export function computePodIndex(pods: readonly V1Pod[]): Map<string, PodRef> {
  const index = new Map<string, PodRef>();
  for (const p of pods) {
    const ns = p.metadata?.namespace, name = p.metadata?.name;
    if (!ns || !name || p.spec?.hostNetwork || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const ips = p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP ? [p.status.podIP] : []);
    for (const raw of ips) {
      const ip = canonicalIP(raw);
      if (ip) index.set(ip, { namespace: ns, name });
    }
  }
  return index;
}
