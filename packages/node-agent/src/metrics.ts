// The agent's metrics (prefix static_egress_agent_). Kernel counters are read at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EgressCounters } from './reconcile/counters.js';

export interface AgentMetrics {
  programmingLatency: Histogram<'full'>;
  syncDuration: Histogram<'full'>;
  syncFailures: Counter;
  lastSuccess: Gauge;
  healed: Counter<'kind'>;
  role: Gauge<'role'>;
  entries: Gauge<'role'>;
  fenced: Gauge;
  overflow: Gauge;
}

/** Turns raw kernel counters (which restart when a chain is rewritten) into monotonic increments. */
export class MonotonicCounters {
  private last = new Map<string, number>();
  delta(key: string, raw: number): number {
    const prev = this.last.get(key);
    this.last.set(key, raw);
    if (prev === undefined || raw < prev) return raw; // first sight, or the rule was rewritten
    return raw - prev;
  }
}

export function createAgentMetrics(registry: Registry, readCounters: () => Promise<EgressCounters>): AgentMetrics {
  const p = 'static_egress_agent_';
  const r = [registry];
  let pending: Promise<EgressCounters> | null = null;
  // one iptables-save per scrape, shared by the counters below
  const counters = () => (pending ??= readCounters().finally(() => setTimeout(() => { pending = null; }, 500)));
  const mono = new MonotonicCounters();
  const packets = new Counter({
    name: `${p}egress_packets_total`, help: 'Packets forwarded out with each egress IP held here (filter FORWARD counters)', labelNames: ['egress_ip'], registers: r,
    async collect() {
      const c = await counters().catch(() => null);
      for (const [ip, v] of Object.entries(c?.perEgressIP ?? {})) this.inc({ egress_ip: ip }, mono.delta(`p|${ip}`, v.packets));
    },
  });
  const bytes = new Counter({
    name: `${p}egress_bytes_total`, help: 'Bytes forwarded out with each egress IP held here', labelNames: ['egress_ip'], registers: r,
    async collect() {
      const c = await counters().catch(() => null);
      for (const [ip, v] of Object.entries(c?.perEgressIP ?? {})) this.inc({ egress_ip: ip }, mono.delta(`b|${ip}`, v.bytes));
    },
  });
  const drops = new Counter({
    name: `${p}failclosed_drops_total`, help: 'Packets of selected pods dropped because their egress IP has no gateway (unreachable route), by policy',
    labelNames: ['policy'], registers: r,
    async collect() {
      const c = await counters().catch(() => null);
      for (const [policy, v] of Object.entries(c?.failClosed ?? {})) this.inc({ policy }, mono.delta(`f|${policy}`, v.packets));
    },
  });
  const leakGuard = new Counter({
    name: `${p}leak_guard_drops_total`,
    help: 'Packets of selected pods dropped in FORWARD on a node that is not their gateway, instead of leaving with its node IP (a director\'s stale ARP entry or route during a move), by policy',
    labelNames: ['policy'], registers: r,
    async collect() {
      const c = await counters().catch(() => null);
      for (const [policy, v] of Object.entries(c?.leakGuard ?? {})) this.inc({ policy }, mono.delta(`l|${policy}`, v.packets));
    },
  });
  void packets; void bytes; void drops; void leakGuard;
  return {
    programmingLatency: new Histogram({
      name: `${p}programming_latency_seconds`, help: 'From the first API event of a batch to the kernel holding its result', labelNames: ['full'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r,
    }),
    syncDuration: new Histogram({
      name: `${p}sync_duration_seconds`, help: 'Duration of one sync (compute, render, apply)', labelNames: ['full'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r,
    }),
    syncFailures: new Counter({ name: `${p}sync_failures_total`, help: 'Syncs that failed (a full resync follows)', registers: r }),
    lastSuccess: new Gauge({ name: `${p}last_successful_sync_timestamp_seconds`, help: 'Unix time of the last successful sync', registers: r }),
    healed: new Counter({ name: `${p}healed_total`, help: 'Kernel objects found damaged by hand and restored, by kind', labelNames: ['kind'], registers: r }),
    role: new Gauge({ name: `${p}role`, help: '1 while this node is a director (local pods redirected) / gateway (holds egress IPs)', labelNames: ['role'], registers: r }),
    entries: new Gauge({ name: `${p}entries`, help: 'Egress IPs this node directs to / holds', labelNames: ['role'], registers: r }),
    fenced: new Gauge({ name: `${p}fenced`, help: '1 while self-fenced (egress addresses dropped)', registers: r }),
    overflow: new Gauge({ name: `${p}slot_overflow`, help: 'Egress IPs with no free mark/table slot (not programmed)', registers: r }),
  };
}
