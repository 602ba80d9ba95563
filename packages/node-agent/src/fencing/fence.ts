// The self-fencing window (DESIGN §5, issue 14): only an authenticated probe of a manager that
// vouches for this node is contact (fencing/lease-keeper.ts decides that); the window is the kernel
// lease, so the agent's verdict and the kernel's guard run out together. A gap longer than the
// window is a lapse even when contact resumes before anyone looked (an event loop that stalled):
// after a lapse, and after a start, nothing is claimed until the API confirms what this node holds.
import type { Clock } from '@static-egress/controller-kit';

export class Fence {
  /** The start counts as contact for one window, so a restarted gateway keeps its (still leased) addresses meanwhile. */
  private lastContact: number;
  /** A lapse (or the start) not yet followed by a confirmation from the API server. */
  private lapsed = true;
  /** Bumped by every lapse: a confirmation asked before the latest lapse confirms nothing. */
  private lapses = 0;

  /**
   * `leaseMs`: the kernel lease a contact grants (≤ the window; issue 16 keeps the lease short for a
   * fast failover and the window longer, so a few lost probes lapse an ARP lease, not the addresses).
   */
  constructor(private readonly clock: Clock, readonly windowMs: number, private readonly leaseMs = windowMs) {
    this.lastContact = clock.now();
  }

  /** A real contact since the start (the start's grace is none). */
  private contacted = false;

  /**
   * Contact whose lease grant is `grantMs` (at most the lease: a late probe grants less); it keeps the
   * node unfenced for the window shortened by as much.
   */
  contact(grantMs = this.leaseMs): void {
    this.contacted = true;
    const now = this.clock.now();
    // the last grant ran out before this contact: so did the kernel lease (issue 16: lease ≤ window)
    if (now > this.lastContact + this.leaseMs) this.lapse();
    const validForMs = Math.min(grantMs, this.leaseMs) + this.windowMs - this.leaseMs;
    this.lastContact = Math.max(this.lastContact, now + validForMs - this.windowMs);
  }

  /** Kernel leases ran out before they could be renewed (or contact came back after a gap). */
  lapse(): void {
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
    return this.clock.now() - this.lastContact > this.windowMs;
  }

  /**
   * The last contact's lease grant has not run out (the kernel's lease, renewed at that contact or
   * later, runs at least as long): a repeated GARP may go out (issue 16: the window outlasts the lease).
   */
  leaseRunning(): boolean {
    return this.contacted && this.clock.now() < this.lastContact + this.leaseMs;
  }

  /** How long a lease claimed now may run: what is left of the last grant (a claim never outlasts it). */
  leaseRemainingMs(): number {
    return Math.max(0, this.lastContact + this.leaseMs - this.clock.now());
  }

  /** Contact whose lease grant still runs, and no lapse since the last confirmation. */
  mayClaim(): boolean {
    return this.contacted && !this.isFenced() && !this.lapsed && this.leaseRunning();
  }

  get needsConfirmation(): boolean {
    return this.lapsed;
  }

  /** Contact now, after a start or a lapse: time to ask the API. */
  shouldConfirm(): boolean {
    return this.lapsed && this.contacted && !this.isFenced();
  }

  /** ms until isFenced() can next turn true (0 if already). */
  msUntilFence(): number {
    return Math.max(0, this.lastContact + this.windowMs - this.clock.now() + 1);
  }
}
