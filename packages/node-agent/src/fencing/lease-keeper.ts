// Keeps this gateway's kernel lease (render/lease.ts) alive while, and only while, the managers
// vouch for it (issue 14 §3, §4). Each authenticated probe that vouches renews the running leases;
// a lease that has run out is never revived here (only a claim in a pass, after the API confirmed the
// assignment again). The manager counts the lease from when it sent the probe, so a lease may run at
// most `leaseMs + lateToleranceMs` past a send: a probe that arrives later than the fastest recent
// ones (held in a queue, retransmitted, or waiting for a busy event loop) renews for that much less,
// and one later than the whole budget renews nothing (the fence has its own budget: contact.ts).
// Renewals run one at a time; probes that arrive during one are renewed right after it (a slow `nft`
// on a saturated node must not let the kernel lease run out under a stream of good probes).
import type { Clock } from '@static-egress/controller-kit';
import type { LeaseTable } from '../kernel/interfaces.js';
import { computeContact, type Contact } from './contact.js';

export interface LeaseSettings {
  /** How long a renewal lets the node announce its egress IPs (the self-fencing window). */
  leaseMs: number;
  /** How much later than the fastest recent probe a probe may arrive and still renew. */
  lateToleranceMs: number;
  /** How long leases are stretched when the agent stops for a restart (SIGTERM without cleanup). */
  restartLeaseMs: number;
  /** The self-fencing window: how late a probe may be and still keep the addresses. Default: the lease. */
  windowMs?: number;
}

/**
 * The one-way delay plus clock offset of recent probes (receive time − the manager's send time); a
 * probe's lateness is how far its figure exceeds the smallest recent one. Clocks need not agree: only
 * differences between probes count, over a sliding window, so drift is followed.
 */
export class LateProbeFilter {
  private readonly offsets: number[] = [];
  constructor(private readonly window = 64) {}

  /** Records the probe and returns how late it arrived (ms, ≥ 0). */
  lateness(sentAt: number, receivedAt: number): number {
    const offset = receivedAt - sentAt;
    this.offsets.push(offset);
    if (this.offsets.length > this.window) this.offsets.shift();
    return offset - Math.min(...this.offsets);
  }
}

export interface LeaseKeeperOptions {
  clock: Clock;
  table: LeaseTable;
  settings: LeaseSettings;
  /** The egress addresses this node holds now (null before the first kernel read). */
  held: () => ReadonlySet<string> | null;
  /** Some lease had run out before it could be renewed: the node must confirm before it claims again. */
  onLapsed: (ips: string[]) => void;
  onError: (err: Error) => void;
}

export class LeaseKeeper {
  private readonly late: LateProbeFilter;
  private renewing = false;
  /** The end of the latest grant that came while a renewal ran: renewed as soon as it is done. */
  private queuedUntil: number | undefined;
  /** After stretchForRestart: no renewal may shorten the stretched leases. */
  private stopped = false;

  constructor(private readonly o: LeaseKeeperOptions) {
    this.late = new LateProbeFilter();
  }

  /** How long after a vouching probe is sent the lease may run: what /healthz reports as `leaseMs`. */
  get reportedLeaseMs(): number {
    return this.o.settings.leaseMs + this.o.settings.lateToleranceMs;
  }

  /** An authenticated probe arrived; returns its lease grant in ms (0: none — it does not vouch, or came too late). */
  probe(sentAt: number, renew: boolean): number {
    return this.contact(sentAt, renew).leaseMs;
  }

  /**
   * An authenticated probe arrived: what it grants the kernel lease (renewed here, in the background)
   * and the fence. A stopped keeper (restart stretch) grants the lease nothing.
   */
  contact(sentAt: number, renew: boolean, run?: string): Contact {
    const { leaseMs, lateToleranceMs, windowMs } = this.o.settings;
    const latenessMs = this.late.lateness(sentAt, this.o.clock.now());
    const c = computeContact({ latenessMs, renew, run }, { leaseMs, lateToleranceMs, windowMs: windowMs ?? leaseMs });
    if (c.leaseMs <= 0 || this.stopped) return { ...c, leaseMs: 0 };
    this.renew(c.leaseMs);
    return c;
  }

  private renew(ms: number): void {
    const held = this.o.held();
    if (!held) return;
    if (this.renewing) {
      this.queuedUntil = Math.max(this.queuedUntil ?? 0, this.o.clock.now() + ms);
      return;
    }
    // an empty held set still renews: the table also renews the leases claimed in a pass in flight
    this.renewing = true;
    this.o.table.renew([...held], ms)
      .then((lapsed) => { if (lapsed.length) this.o.onLapsed(lapsed); }, (err: Error) => this.o.onError(err))
      .finally(() => {
        this.renewing = false;
        const left = (this.queuedUntil ?? 0) - this.o.clock.now();
        this.queuedUntil = undefined;
        if (left > 0 && !this.stopped) this.renew(left);
      });
  }

  /** Stretches the running leases over an agent restart (they still never revive an expired one). */
  async stretchForRestart(): Promise<void> {
    this.stopped = true;
    const held = this.o.held();
    if (held?.size) await this.o.table.renew([...held], this.o.settings.restartLeaseMs);
  }
}
