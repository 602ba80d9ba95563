// One loop for a daemon's global pass, after kube-proxy's BoundedFrequencyRunner: events only ask
// for a pass (`run()`), and requests that arrive while a pass runs or within the minimum interval
// are coalesced into one; a resync pass runs every maximum interval; a failed pass is retried
// with exponential backoff, and requests meanwhile wait for that retry (a failing kernel or API
// is not hammered by an event storm).
import type { Clock, TimerHandle } from './clock.js';

export interface PassInfo {
  /** The periodic resync fell due: the pass should re-read whatever it caches. */
  resync: boolean;
}

export interface BoundedFrequencyRunnerOptions {
  clock: Clock;
  /** One pass; a rejection is retried with backoff. */
  pass: (info: PassInfo) => Promise<void>;
  /** Minimum time between the starts of two passes. */
  minIntervalMs: number;
  /**
   * After a pass that took d ms (d > idleAboveMs), the next starts no sooner than `idleFactor × d`
   * after it ended (default 0). A pass that holds the event loop for a second (a large cluster) then
   * leaves it free as long for what shares it — the leader's Lease renewal, the watch streams, the
   * writes; a quick pass (a small cluster's, milliseconds) adds nothing to the next one's latency.
   */
  idleFactor?: number;
  /** Passes up to this long leave no idle time (default 0). */
  idleAboveMs?: number;
  /** A resync pass runs this long after the previous resync, whatever ran between. Omit for none. */
  maxIntervalMs?: number;
  /** Delay before the first retry of a failed pass; doubles per consecutive failure. */
  retryBaseMs: number;
  /** Cap on the retry delay. Default maxIntervalMs, else 30 s. */
  retryMaxMs?: number;
  /** Told of each failure (log it here); the runner retries regardless. */
  onError?: (err: unknown, failures: number, retryInMs: number) => void;
}

export class BoundedFrequencyRunner {
  private started = false;
  private stopped = false;
  /** The earliest time a pass was asked for and not yet started. */
  private requestedAt: number | undefined;
  /** After a failure: the retry time, which requests do not bring forward. */
  private retryAt: number | undefined;
  private resyncAt = Number.POSITIVE_INFINITY;
  private lastStart = Number.NEGATIVE_INFINITY;
  /** The earliest start `idleFactor` allows after the last pass. */
  private idleUntil = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private inFlight: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** runNow() asked for the next pass: the minimum interval does not hold it back. */
  private urgent = false;

  constructor(private readonly o: BoundedFrequencyRunnerOptions) {}

  /** Starts the loop with a first pass now. Requests made before start wait for it. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const now = this.o.clock.now();
    if (this.o.maxIntervalMs !== undefined) this.resyncAt = now + this.o.maxIntervalMs;
    this.request(now);
  }

  /** Asks for a pass as soon as the minimum interval (or a failure's backoff) allows. */
  run(): void {
    this.request(this.o.clock.now());
  }

  /**
   * Asks for a pass now, not held back by the minimum interval (a failure's backoff still holds):
   * for the rare request that must not wait for a batch (an agent's order from its manager, issue 16).
   */
  runNow(): void {
    this.urgent = true;
    this.request(this.o.clock.now());
  }

  /** Asks for a pass in `ms` at the latest (an explicit requeue); the earliest request wins. */
  runAfter(ms: number): void {
    this.request(this.o.clock.now() + Math.max(0, ms));
  }

  /** No pass starts after this; resolves once the pass in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.inFlight;
  }

  private request(at: number): void {
    if (this.stopped) return;
    if (this.requestedAt === undefined || at < this.requestedAt) this.requestedAt = at;
    this.schedule();
  }

  /** When the next pass should start, or undefined if nothing asks for one. */
  private nextAt(): number | undefined {
    if (this.retryAt !== undefined) return this.retryAt;
    const due = Math.min(this.requestedAt ?? Number.POSITIVE_INFINITY, this.resyncAt);
    if (due === Number.POSITIVE_INFINITY) return undefined;
    return Math.max(due, this.urgent ? due : this.lastStart + this.o.minIntervalMs, this.idleUntil);
  }

  private schedule(): void {
    if (!this.started || this.stopped || this.inFlight) return;
    const at = this.nextAt();
    if (at === undefined || (this.timer !== undefined && this.timerAt <= at)) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.fire();
    }, at - this.o.clock.now());
  }

  private cancelTimer(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const resync = now >= this.resyncAt;
    if (resync) this.resyncAt = now + (this.o.maxIntervalMs as number);
    this.requestedAt = undefined;
    this.retryAt = undefined;
    this.urgent = false;
    this.lastStart = now;
    this.inFlight = this.runPass({ resync }).finally(() => {
      const end = this.o.clock.now();
      this.idleUntil = end - now > (this.o.idleAboveMs ?? 0) ? end + (this.o.idleFactor ?? 0) * (end - now) : end;
      this.inFlight = undefined;
      this.schedule();
    });
  }

  private async runPass(info: PassInfo): Promise<void> {
    try {
      await this.o.pass(info);
      this.failures = 0;
    } catch (err) {
      this.failures++;
      const cap = this.o.retryMaxMs ?? this.o.maxIntervalMs ?? 30_000;
      const delay = Math.min(cap, this.o.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
      const now = this.o.clock.now();
      this.retryAt = Math.max(now + delay, this.lastStart + this.o.minIntervalMs);
      this.o.onError?.(err, this.failures, delay);
    }
  }
}
