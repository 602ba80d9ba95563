// Self-fencing's state machine (DESIGN §5, issue 14). A gateway without contact (an authenticated,
// vouching manager probe) for the fence window drops its egress addresses — its kernel lease has run
// out at the same time, so it was silent already. After a start or a lapse it claims nothing (no
// lease, no announcement) until a fresh API list confirms what it holds: after a partition its
// watches may still be silent and its cache may still assign it IPs that have moved. It holds only
// what that list confirms until its cache claims nothing beyond that. A lapse or a fence needs no API
// when contact resumes in the manager run that vouched before it (issue 16 §2: the manager has
// declared nothing, so nothing moved): a starved agent takes its leases back at the next probe.
//
//   start/lapse ──contact + API confirms──▶ confirmed-only ──cache agrees──▶ holding
//   lapse ──probe of the same run, in time──▶ holding
//   holding ──no contact──▶ fenced ──contact + API confirms──▶ confirmed-only
//   fenced ──probe of the same run, in time──▶ holding
//
// The agent asks `verdict()` on every pass and reports what the pass placed here (`observe`); a
// change of verdict asks for a pass (`onChange`).
import type { Clock, Logger, TimerHandle } from '@static-egress/controller-kit';
import type { Contact } from './contact.js';
import type { Fence } from './fence.js';

export interface SelfFencingOptions {
  clock: Clock;
  logger: Logger;
  fence: Fence;
  /** Set to 1 while fenced (static_egress_agent_fenced). */
  gauge: { set(value: number): void };
  /** A fresh read from the API server (a quorum list, not the cache): the egress IPs assigned here now. */
  confirmHeld: () => Promise<ReadonlySet<string>>;
  /** How long one confirmation may take before it counts as failed. Default 2 s. */
  confirmTimeoutMs?: number;
}

/** What the next pass must do with the egress addresses. */
export interface FenceVerdict {
  /** drop every egress address (the SNAT stays) */
  fenced: boolean;
  /** hold only these (after fencing, until the cache agrees with the API) */
  holdOnly?: ReadonlySet<string>;
  /** may take kernel leases and announce (contact, and confirmed since the last start or lapse) */
  claim: boolean;
}

export class SelfFencing {
  private claimed: readonly string[] = [];
  private wasFenced = false;
  /** After fencing: the IPs the API confirmed, the only ones held until the cache claims no others. */
  private confirmed: ReadonlySet<string> | null = null;
  /** What was confirmed when the fence came: a fence continued in the same run goes back to it. */
  private confirmedBeforeFence: ReadonlySet<string> | null = null;
  private confirming = false;
  private lastConfirm = Number.NEGATIVE_INFINITY;
  private watchTimer: TimerHandle | undefined;
  /** When the watch timer was due: how late it fired tells a stalled event loop apart. */
  private watchDue = 0;
  private onChange: () => void = () => {};
  private stopped = false;

  constructor(private readonly o: SelfFencingOptions) {}

  /** Starts watching; `onChange` asks the agent for a pass. */
  start(onChange: () => void): void {
    this.onChange = onChange;
    this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.watchTimer);
  }

  /**
   * A manager's contact (agent/health.ts). A lapse that it continues (same run) asks for a pass,
   * which claims again; a fence it continues ends at once.
   */
  contact(c: Contact | number): boolean {
    const resumed = this.o.fence.contact(c);
    if (this.wasFenced && !this.o.fence.isFenced() && this.o.fence.continued()) this.unfence(this.confirmedBeforeFence, 'contact resumed in the same manager run: taking the egress addresses back');
    else if (resumed && this.claimed.length > 0) {
      // a node that holds nothing has no lease to claim again: no pass (on a busy machine a short
      // lease lapses between late probes many times a second, and every gateway passed for each)
      this.o.logger.info({}, 'contact resumed in the same manager run: claiming the lapsed leases again');
      this.onChange();
    }
    return resumed;
  }

  /** Kernel leases ran out before a renewal: drop nothing yet, but claim nothing until confirmed. */
  lapsed(ips: readonly string[]): void {
    this.o.fence.lapse();
    this.o.logger.warn({ ips }, 'kernel lease ran out before it was renewed: claiming again at the next probe of the same manager run, else once the API confirms');
    this.onChange();
  }

  /**
   * A manager's signed order to claim these IPs (issue 16, agent/orders.ts): the leader assigns them
   * here now, which is what a confirming API list would say of them, so a node holding only what the
   * API confirmed (after a start, a lapse or a fence) may hold them too without waiting for the next
   * list (at most one a second). A fenced node stays fenced: contact, not an order, ends that.
   */
  ordered(ips: readonly string[]): void {
    if (!this.confirmed || this.wasFenced || ips.every((ip) => this.confirmed!.has(ip))) return;
    this.confirmed = new Set([...this.confirmed, ...ips]);
    this.o.logger.info({ ips }, 'the manager ordered a claim: holding it beside what the API confirmed');
  }

  /**
   * The egress IPs the agent's last pass placed on this node. One that the API has not confirmed and
   * that no confirmation was asked for yet (a takeover arriving while this node holds only what a list
   * confirmed) is asked about at once, not at the next list a second later (issue 16 §1: the 1 s tails).
   */
  observe(claimed: readonly string[]): void {
    this.claimed = claimed;
    if (!this.confirmed || this.wasFenced) return;
    const asked = this.askedAbout;
    if (claimed.some((ip) => !this.confirmed!.has(ip) && !asked.has(ip))) this.confirm(true);
  }

  /** What the cache claimed when the last confirmation was asked. */
  private askedAbout: ReadonlySet<string> = new Set();

  /** Self-fenced now: no egress address is held (they have been, or are being, dropped). */
  get fenced(): boolean {
    return this.wasFenced;
  }

  verdict(): FenceVerdict {
    // fenced once fenceSoon() has judged it: a pass in the two turns before keeps the addresses
    const fenced = this.wasFenced;
    return { fenced, ...(this.confirmed ? { holdOnly: this.confirmed } : {}), claim: !fenced && this.o.fence.mayClaim() };
  }

  private fencedNow(): boolean {
    return this.claimed.length > 0 && this.o.fence.isFenced();
  }

  private watch(): void {
    if (this.stopped) return;
    const fenced = this.fencedNow();
    if (fenced && !this.wasFenced) {
      this.fenceSoon();
    } else if (!fenced && this.wasFenced) {
      if (this.o.fence.continued()) this.unfence(this.confirmedBeforeFence, 'contact resumed in the same manager run: taking the egress addresses back');
      else this.confirm(); // contact: take back what the API confirms
    } else if (this.o.fence.shouldConfirm()) {
      this.confirm(); // contact after a start or a lapse: claim only what the API confirms
    } else if (this.confirmed && !this.wasFenced) {
      if (this.claimed.every((ip) => this.confirmed!.has(ip))) {
        this.confirmed = null; // the cache has caught up
        this.o.logger.info({}, 'cache agrees with the API again: egress addresses follow it');
        this.onChange();
      } else {
        this.confirm(); // still stale (or the IP came back to us): ask again, at most once a second
      }
    }
    const watching = this.wasFenced || this.confirmed !== null || this.o.fence.needsConfirmation;
    // past the window without claiming anything: nothing to do but notice a claim (was a 0 ms spin)
    const untilFence = this.o.fence.msUntilFence() || 1000;
    this.schedule(watching ? 100 : Math.min(untilFence, 1000));
  }

  private schedule(delay: number): void {
    this.o.clock.clearTimeout(this.watchTimer);
    this.watchDue = this.o.clock.now() + delay;
    this.watchTimer = this.o.clock.setTimeout(() => this.watch(), delay);
  }

  /**
   * Fences after two more turns of the event loop: a timer that fired late (the loop stalled) runs
   * before the probes that arrived meanwhile are read, and those may be contact (issue 16 §2).
   */
  private fenceSoon(): void {
    const lateMs = this.o.clock.now() - this.watchDue;
    this.o.clock.setTimeout(() => this.o.clock.setTimeout(() => {
      if (this.stopped || this.wasFenced || !this.fencedNow()) return;
      this.wasFenced = true;
      this.confirmedBeforeFence = this.confirmed;
      this.confirmed = new Set();
      this.o.gauge.set(1);
      this.o.logger.warn({ watchLateMs: lateMs, windowMs: this.o.fence.windowMs }, 'no contact with the API server or the manager: dropping egress addresses');
      this.onChange();
      if (!this.stopped) this.schedule(100); // fenced: watch for contact
    }, 0), 0);
  }

  private unfence(held: ReadonlySet<string> | null, msg: string): void {
    this.confirmed = held;
    this.wasFenced = false;
    this.o.gauge.set(0);
    this.o.logger.warn(held ? { confirmed: [...held] } : {}, msg);
    this.onChange();
  }

  /** `news`: a claim no confirmation was asked for yet: not held back by the once-a-second limit. */
  private confirm(news = false): void {
    const now = this.o.clock.now();
    if (this.confirming || (!news && now - this.lastConfirm < 1000)) return;
    this.confirming = true;
    this.lastConfirm = now;
    this.askedAbout = new Set(this.claimed);
    const generation = this.o.fence.generation;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.o.clock.setTimeout(() => reject(new Error('timed out')), this.o.confirmTimeoutMs ?? 2000);
    });
    Promise.race([this.o.confirmHeld(), timeout]).then((held) => {
      if (this.stopped) return;
      this.o.fence.confirmed(generation);
      if (this.wasFenced) this.unfence(held, 'contact restored: taking back the egress addresses the API confirms');
      else {
        this.confirmed = held;
        this.onChange();
      }
    }, (err: Error) => {
      this.o.logger.warn({ err, fenced: this.wasFenced }, 'could not confirm this node\'s egress IPs with the API server');
    }).finally(() => {
      this.o.clock.clearTimeout(timer);
      this.confirming = false;
    });
  }
}
