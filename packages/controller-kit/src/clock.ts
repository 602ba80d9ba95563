/**
 * Time as a dependency. Everything in controller-kit that waits takes a `Clock`, so tests drive
 * time with `FakeClock` instead of sleeping.
 */

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = { readonly __timerHandle: true };

export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin for fakes). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancelling an already fired or cancelled timer does nothing. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface PendingTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** Resolves after every queued microtask (and anything they queue) has run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when told to. Timers fire in order of due time, then creation order;
 * a timer scheduled by a firing timer fires in the same `advance` if it falls due within it.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    const id = (handle as unknown as { id: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers synchronously in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let t = this.popDue(target); t; t = this.popDue(target)) {
      this.current = t.at;
      t.fn();
    }
    this.current = target;
  }

  /**
   * Like `advance`, but lets promise chains settle before and after each timer, so async code
   * woken by a timer (an API call on a fake, a worker) completes before the next timer fires.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (let t = this.popDue(target); t; t = this.popDue(target)) {
      this.current = t.at;
      t.fn();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private popDue(target: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    }
    if (best) this.timers = this.timers.filter((t) => t !== best);
    return best;
  }
}
