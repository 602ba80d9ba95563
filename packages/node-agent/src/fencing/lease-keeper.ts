// Keeps this gateway's kernel lease (render/lease.ts) alive while, and only while, the managers
// vouch for it (issue 14 §3, §4). Each authenticated probe that vouches renews the running leases;
// a lease that has run out is never revived here (only a claim in a pass, after the API confirmed the
// assignment again). A probe that arrives much later than probes usually do (held in a queue,
// retransmitted) renews nothing: the manager counts the lease from when it sent the probe, so the
// lease may only run `leaseMs + lateToleranceMs` past a send.
import type { Clock } from '@static-egress/controller-kit';
import type { LeaseTable } from '../kernel/interfaces.js';

export interface LeaseSettings {
  /** How long a renewal lets the node announce its egress IPs (the self-fencing window). */
  leaseMs: number;
  /** How much later than the fastest recent probe a probe may arrive and still renew. */
  lateToleranceMs: number;
  /** How long leases are stretched when the agent stops for a restart (SIGTERM without cleanup). */
  restartLeaseMs: number;
}

/**
 * The one-way delay plus clock offset of recent probes (receive time − the manager's send time); a
 * probe is late when its figure exceeds the smallest recent one by more than the tolerance. Clocks
 * need not agree: only differences between probes count, over a sliding window, so drift is followed.
 */
export class LateProbeFilter {
  private readonly offsets: number[] = [];
  constructor(private readonly toleranceMs: number, private readonly window = 64) {}

  /** Records the probe and says whether it arrived in time. */
  inTime(sentAt: number, receivedAt: number): boolean {
    const offset = receivedAt - sentAt;
    this.offsets.push(offset);
    if (this.offsets.length > this.window) this.offsets.shift();
    return offset - Math.min(...this.offsets) <= this.toleranceMs;
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
  /** After stretchForRestart: no renewal may shorten the stretched leases. */
  private stopped = false;

  constructor(private readonly o: LeaseKeeperOptions) {
    this.late = new LateProbeFilter(o.settings.lateToleranceMs);
  }

  /** How long after a vouching probe is sent the lease may run: what /healthz reports as `leaseMs`. */
  get reportedLeaseMs(): number {
    return this.o.settings.leaseMs + this.o.settings.lateToleranceMs;
  }

  /**
   * An authenticated probe arrived; returns whether it counts as contact (it vouches and is in time).
   * The renewal runs in the background; one at a time (a probe during a renewal is covered by it).
   */
  probe(sentAt: number, renew: boolean): boolean {
    const inTime = this.late.inTime(sentAt, this.o.clock.now());
    if (!renew || !inTime || this.stopped) return false;
    const held = this.o.held();
    if (!held || held.size === 0 || this.renewing) return true;
    this.renewing = true;
    this.o.table.renew([...held], this.o.settings.leaseMs)
      .then((lapsed) => { if (lapsed.length) this.o.onLapsed(lapsed); }, (err: Error) => this.o.onError(err))
      .finally(() => { this.renewing = false; });
    return true;
  }

  /** Stretches the running leases over an agent restart (they still never revive an expired one). */
  async stretchForRestart(): Promise<void> {
    this.stopped = true;
    const held = this.o.held();
    if (held?.size) await this.o.table.renew([...held], this.o.settings.restartLeaseMs);
  }
}
