// Executes a WriteQueue with at most `concurrency` writes in flight (issue 16 §4). A large pass's
// writes (a cluster's first pass: a status and an Event per policy) drain here while later passes
// run and queue newer values; a write that fails is reported (the controller then runs a pass, which
// queues that object's status again, and retries it with backoff) and is not retried here.
import type { QueuedWrite, WriteQueue } from './write-queue.js';

export interface WriteDrainOptions<V> {
  queue: WriteQueue<V>;
  concurrency: number;
  write: (w: QueuedWrite<V>) => Promise<void>;
  /** Each finished write: `err` set when it failed. */
  onDone?: (w: QueuedWrite<V>, err?: unknown) => void;
}

export class WriteDrain<V> {
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: WriteDrainOptions<V>) {}

  /** Starts writes for what waits, up to the concurrency. Call after queueing. */
  kick(): void {
    while (!this.stopped && this.active < this.o.concurrency) {
      const w = this.o.queue.take();
      if (!w) break;
      this.active++;
      void this.o.write(w).then(
        () => this.finish(w),
        (err: unknown) => this.finish(w, err),
      );
    }
    this.wakeIfIdle();
  }

  /** Resolves once nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wakeIfIdle();
    });
  }

  /** Drops what waits and resolves once the writes in flight are done; nothing starts after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.queue.clear();
    await this.idle();
  }

  private finish(w: QueuedWrite<V>, err?: unknown): void {
    this.active--;
    this.o.queue.done(w.key);
    try {
      this.o.onDone?.(w, err);
    } finally {
      this.kick();
    }
  }

  private wakeIfIdle(): void {
    if (this.active > 0 || (!this.stopped && this.o.queue.length > 0)) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
