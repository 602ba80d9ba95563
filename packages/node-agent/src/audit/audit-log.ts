// The egress audit log (issue 10 §5): conntrack event lines in, one JSON line per start and end of a
// connection translated to an egress IP this node holds out, under a rate limit whose drops are
// summed up in a periodic `dropped` line. The clock and the sink are passed in.
import type { Clock, TimerHandle } from '@static-egress/controller-kit';
import { parseConntrackEvent } from './conntrack-event.js';
import { renderAuditLine, renderAuditRecord, type PodRef } from './record.js';
import type { AuditSink } from './sink.js';
import { TokenBucket } from './token-bucket.js';

export interface AuditLogOptions {
  clock: Clock;
  sink: AuditSink;
  node: string;
  /** pod IP → pod, from the agent's cluster view */
  podByIP: () => ReadonlyMap<string, PodRef>;
  /** the egress IPs on this node's uplink now */
  heldIPs: () => ReadonlySet<string>;
  /** lines a second, and as many saved up for a burst */
  ratePerSec: number;
  summaryMs?: number;
  /** flows whose start was logged and whose end is awaited; the oldest are forgotten beyond this */
  maxOpen?: number;
}

export class AuditLog {
  private readonly bucket: TokenBucket;
  private readonly open = new Map<string, PodRef | null>();
  private dropped = 0;
  private droppedSince: number;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: AuditLogOptions) {
    this.bucket = new TokenBucket(o.ratePerSec, o.ratePerSec, o.clock.now());
    this.droppedSince = o.clock.now();
    this.schedule();
  }

  /** One line of `conntrack -E` output. */
  onLine(line: string): void {
    const event = parseConntrackEvent(line);
    if (!event || this.stopped) return;
    const key = `${event.family}/${event.id}`;
    const opened = this.open.get(key);
    const rec = renderAuditRecord(event, this.o.podByIP(), this.o.heldIPs(), this.o.node, opened);
    if (event.type === 'destroy') this.open.delete(key);
    if (!rec) return;
    if (!this.bucket.take(this.o.clock.now())) {
      this.dropped++;
      return;
    }
    if (event.type === 'new') this.remember(key, rec.podNamespace && rec.podName ? { namespace: rec.podNamespace, name: rec.podName } : null);
    this.o.sink.write(renderAuditLine(rec));
  }

  /** Writes the pending summary of dropped lines and stops the summary timer. */
  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    this.summarize();
  }

  private remember(key: string, pod: PodRef | null): void {
    this.open.set(key, pod);
    if (this.open.size > (this.o.maxOpen ?? 65_536)) this.open.delete(this.open.keys().next().value!);
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimeout(() => {
      this.summarize();
      if (!this.stopped) this.schedule();
    }, this.o.summaryMs ?? 10_000);
  }

  private summarize(): void {
    const now = this.o.clock.now();
    if (this.dropped > 0) {
      this.o.sink.write(renderAuditLine({
        time: new Date(now).toISOString(), audit: 'dropped', node: this.o.node, count: this.dropped,
        sinceTime: new Date(this.droppedSince).toISOString(),
      }));
    }
    this.dropped = 0;
    this.droppedSince = now;
  }
}
