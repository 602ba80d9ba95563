// The self-fencing window and the kernel lease (DESIGN §5, issues 14 and 16): only an authenticated
// probe of a manager that vouches for this node is contact (fencing/contact.ts says for how long).
// Each has its own lateness budget: the kernel ARP lease only what the manager counts on (a probe's
// send + lease + tolerance: two nodes never announce one IP), the fence — whether the addresses stay
// on the uplink — the whole window, so an agent that waited for a core answers late without dropping
// anything. A gap longer than the lease is a lapse even when contact resumes before anyone looked (an
// event loop that stalled): after a lapse nothing is claimed until either the API confirms what this
// node holds, or a probe of the same manager run that vouched before the lapse grants a lease again —
// a run ends when the manager declares the node lost, so the same run means nothing moved meanwhile.
// After a start there is no run to continue: the API confirms first.
import type { Clock } from '@static-egress/controller-kit';
import type { Contact } from './contact.js';

export class Fence {
  /** End of the fence's contact (the start counts for one window: a restarted gateway keeps its leased addresses meanwhile). */
  private contactUntil: number;
  /** End of the last lease grant (the kernel lease, renewed at that contact or later, runs at least as long). */
  private leaseUntil = Number.NEGATIVE_INFINITY;
  /** A lapse (or the start) not yet followed by a confirmation or a continuation. */
  private lapsed = true;
  /** Bumped by every lapse: a confirmation asked before the latest lapse confirms nothing. */
  private lapses = 0;
  /** The manager run of the last contact. */
  private run: string | undefined;
  /** The run a lapse may be continued in without the API (none after a start or a change of run). */
  private resumeRun: string | undefined;
  /** A real contact since the start (the start's grace is none). */
  private contacted = false;

  /**
   * `windowMs`: how long without contact before the addresses go; `leaseMs`: the kernel lease a
   * contact grants (≤ the window; issue 16 keeps the lease short for a fast failover and the window
   * longer, so a few late or lost probes lapse an ARP lease, not the addresses).
   */
  constructor(private readonly clock: Clock, readonly windowMs: number, private readonly leaseMs = windowMs) {
    this.contactUntil = clock.now() + windowMs;
  }

  /**
   * A manager's contact. A number is a lease grant whose fence lasts as much longer as the window is
   * (a probe `lease − grant` late loses that much of both). Returns true when it ended a lapse by
   * continuing the manager's run: the caller asks for a pass, which claims again.
   */
  contact(c: number | Contact = this.leaseMs): boolean {
    const { leaseMs, fenceMs, run, vouching = true } = typeof c === 'number' ? { leaseMs: c, fenceMs: c + this.windowMs - this.leaseMs, run: undefined } : c;
    if (leaseMs <= 0 && fenceMs <= 0) return false;
    const now = this.clock.now();
    if (!vouching) {
      // the manager suspects us but has declared nothing in the run that last vouched: nothing moved, the addresses stay
      if (this.contacted && run !== undefined && run === this.run) this.contactUntil = Math.max(this.contactUntil, now + Math.min(fenceMs, this.windowMs));
      return false;
    }
    // the last grant ran out before this one: so did the kernel lease (issue 16: lease ≤ window)
    if (leaseMs > 0 && this.contacted && now > this.leaseUntil) this.lapse();
    if (this.contacted && run !== this.run) this.resumeRun = undefined; // another run: the manager may have moved our IPs
    this.contacted = true;
    this.run = run;
    this.contactUntil = Math.max(this.contactUntil, now + Math.min(fenceMs, this.windowMs));
    if (leaseMs > 0) this.leaseUntil = Math.max(this.leaseUntil, now + Math.min(leaseMs, this.leaseMs));
    if (!this.lapsed || leaseMs <= 0 || run === undefined || run !== this.resumeRun) return false;
    this.lapsed = false; // the manager vouched throughout: claim again now, for what is left of this grant
    return true;
  }

  /** Kernel leases ran out before they could be renewed (or contact came back after a gap). */
  lapse(): void {
    // a lapse during a lapse keeps what that one may be resumed in (after a start: nothing)
    if (!this.lapsed) this.resumeRun = this.run;
    this.lapsed = true;
    this.lapses++;
  }

  /** Where a confirmation starts: pass it to confirmed() when the API has answered. */
  get generation(): number {
    return this.lapses;
  }

  /** The API confirmed what this node holds, read after `generation`: claims are allowed again. */
  confirmed(generation: number): void {
    if (generation === this.lapses) this.lapsed = false;
  }

  /** No contact for longer than the window. */
  isFenced(): boolean {
    return this.clock.now() > this.contactUntil;
  }

  /**
   * Contact resumed in the manager run that vouched before the last lapse, with a lease grant running
   * (a probe sent within the manager's lease budget: no verdict can have come yet) and the lapse over:
   * a fence may end without asking the API, since nothing was moved off this node meanwhile.
   */
  continued(): boolean {
    return !this.lapsed && this.leaseRunning() && this.run !== undefined && this.run === this.resumeRun;
  }

  /**
   * The last contact's lease grant has not run out (the kernel's lease, renewed at that contact or
   * later, runs at least as long): a repeated GARP may go out (issue 16: the window outlasts the lease).
   */
  leaseRunning(): boolean {
    return this.contacted && this.clock.now() < this.leaseUntil;
  }

  /** How long a lease claimed now may run: what is left of the last grant (a claim never outlasts it). */
  leaseRemainingMs(): number {
    return Math.max(0, this.leaseUntil - this.clock.now());
  }

  /** Contact whose lease grant still runs, and no lapse since the last confirmation or continuation. */
  mayClaim(): boolean {
    return this.contacted && !this.isFenced() && !this.lapsed && this.leaseRunning();
  }

  get needsConfirmation(): boolean {
    return this.lapsed;
  }

  /**
   * Contact now, after a start or a lapse that no probe can continue (another run, or none): time to
   * ask the API. A lapse in a run that may still continue waits for its next vouching probe instead.
   */
  shouldConfirm(): boolean {
    return this.lapsed && this.contacted && !this.isFenced() && this.resumeRun === undefined;
  }

  /** ms until isFenced() can next turn true (0 if already). */
  msUntilFence(): number {
    return Math.max(0, this.contactUntil - this.clock.now() + 1);
  }
}
