import { realClock, type Clock, type TimerHandle } from './clock.js';
import { silentLogger, type Logger } from './logger.js';

/**
 * A keyed, de-duplicating work queue with per-key exponential backoff, after client-go's
 * rate-limited workqueue (as used by sample-controller):
 * - a key is queued at most once, however often it is added;
 * - a key is never processed by two workers at once: added while in flight, it runs again
 *   after the current run;
 * - `run()` forgets a key after its worker succeeds and re-adds it rate-limited after a failure.
 * Informer handlers should add keys, never objects; the worker reads the current object from the
 * informer cache.
 */

export interface WorkQueueOptions {
  clock?: Clock;
  logger?: Logger;
  /** First retry delay for a failing key (doubles per failure). Default 5 ms. */
  baseDelayMs?: number;
  /** Cap on the per-key retry delay. Default 30 s. */
  maxDelayMs?: number;
  /**
   * Overall token bucket on retries (client-go's default is 10/s with a burst of 100): the
   * retry delay is the larger of the per-key backoff and the bucket's wait. `false` disables it.
   */
  rateLimit?: { qps: number; burst: number } | false;
  /** Optional instrumentation (see `createWorkQueueMetrics`). */
  metrics?: WorkQueueMetrics;
}

export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Seconds spent in the worker for one key, and whether it succeeded. */
  processed(seconds: number, ok: boolean): void;
}

export interface RunOptions {
  /** Number of keys processed at once (distinct keys only). Default 1. */
  concurrency?: number;
}

/** Token bucket whose tokens may go negative, so a reservation tells how long to wait. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly qps: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token and returns how many ms the caller must wait for it. */
  reserve(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }
}

export class WorkQueue<K extends string = string> {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly bucket: TokenBucket | undefined;
  private readonly metrics: WorkQueueMetrics | undefined;

  /** Keys ready to be processed, in order. */
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or in flight and added again. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** Keys waiting for `addAfter`, with their due time (the earliest wins). */
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();
  private readonly failures = new Map<K, number>();

  private shuttingDown = false;
  private worker: ((key: K) => Promise<void>) | undefined;
  private concurrency = 1;
  private pumpScheduled = false;
  private drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    const rl = options.rateLimit ?? { qps: 10, burst: 100 };
    this.bucket = rl ? new TokenBucket(rl.qps, rl.burst, this.clock.now()) : undefined;
    this.metrics = options.metrics;
  }

  /** Queues `key` unless it is already queued. Ignored after `shutdown()`. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.added();
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued when the current run finishes
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
    this.schedulePump();
  }

  /** Queues `key` after `ms`. If it is already waiting, the earlier due time wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.timer);
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after its backoff: base·2^failures, capped, and the global bucket's wait. */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    const bucketWait = this.bucket?.reserve(this.clock.now()) ?? 0;
    this.metrics?.retried();
    this.addAfter(key, Math.max(backoff, bucketWait));
  }

  /** Clears `key`'s failure count, so its next failure starts at the base delay again. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** How many times `key` has been re-added by `addRateLimited` since it was last forgotten. */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys ready to be processed (not counting keys in flight or waiting for a delay). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Processes keys with `worker` until `shutdown()`. Resolves once shut down and every in-flight
   * worker has finished. A worker that throws gets its key re-added with `addRateLimited`; one
   * that succeeds gets its key forgotten. Call once per queue.
   */
  run(worker: (key: K) => Promise<void>, options: RunOptions = {}): Promise<void> {
    if (this.worker) throw new Error('WorkQueue.run() called twice');
    this.worker = worker;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    const done = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.schedulePump();
    this.checkDrained();
    return done;
  }

  /**
   * Stops accepting keys and handing them out; cancels delayed adds. Keys in flight finish;
   * queued keys are dropped (their objects are reconciled again after the next start).
   */
  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) this.clock.clearTimeout(timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.metrics?.depth(0);
    this.checkDrained();
  }

  // Deferred to a microtask so keys added in one burst (an informer relist) are de-duplicated
  // before any worker starts, and workers never run inside the caller's stack.
  private schedulePump(): void {
    if (this.pumpScheduled || !this.worker) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const worker = this.worker;
    if (!worker) return;
    while (!this.shuttingDown && this.processing.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as K;
      this.metrics?.depth(this.queue.length);
      this.dirty.delete(key);
      this.processing.add(key);
      void this.process(worker, key);
    }
  }

  private async process(worker: (key: K) => Promise<void>, key: K): Promise<void> {
    const started = this.clock.now();
    let ok = true;
    try {
      await worker(key);
      this.forget(key);
    } catch (err) {
      ok = false;
      this.logger.warn({ key, err, requeues: this.numRequeues(key) }, 'work item failed; retrying with backoff');
      this.addRateLimited(key);
    } finally {
      this.metrics?.processed((this.clock.now() - started) / 1000, ok);
      this.processing.delete(key);
      if (this.dirty.has(key) && !this.shuttingDown) {
        this.queue.push(key);
        this.metrics?.depth(this.queue.length);
      }
      this.schedulePump();
      this.checkDrained();
    }
  }

  private checkDrained(): void {
    if (this.shuttingDown && this.processing.size === 0 && this.drained) {
      const resolve = this.drained;
      this.drained = undefined;
      resolve();
    }
  }
}
