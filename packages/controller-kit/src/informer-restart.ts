// The informer's restart (informer.ts): client-node's ListWatch stops for good after a failed list
// or a watch that ends with an error other than 410; the informer starts it again after an
// exponential, capped, jittered backoff, and a watch that works starts the backoff afresh.
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';
import type { InformerMetrics } from './metrics.js';

/** The informer's options that shape the backoff (InformerOptions' `backoff` and `random`). */
export interface BackoffOptions {
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  random?: () => number;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  jitter: number;
  random: () => number;
}

export function resolveBackoff(options: BackoffOptions, name: string): Backoff {
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 8_000;
  const jitter = options.backoff?.jitter ?? 0.25;
  const random = options.random ?? Math.random;
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`informer ${name}: backoff.jitter must be in [0, 1), got ${jitter}`);
  return { initialMs, maxMs, jitter, random };
}

/** Exponential, capped, shortened by up to `jitter` of itself. */
function restartDelay(b: Backoff, failures: number): number {
  return Math.round(Math.min(b.maxMs, b.initialMs * 2 ** failures) * (1 - b.jitter * b.random()));
}

interface RestarterOptions {
  clock: Clock;
  backoff: Backoff;
  logger: Logger;
  name: string;
  metrics?: InformerMetrics;
  isSynced(): boolean;
  /** Starts ListWatch; a rejection must come back through `onError`. */
  launch(): void;
}

/** Whether the informer runs, and the restart with backoff after ListWatch has stopped. */
export function createRestarter(o: RestarterOptions) {
  let running = false;
  let restartTimer: TimerHandle | undefined;
  let failures = 0;
  return {
    isRunning: () => running,
    /** The watch works: the next failure starts the backoff afresh. */
    healthy() {
      failures = 0;
    },
    /** False if already running. */
    start(): boolean {
      if (running) return false;
      running = true;
      return true;
    },
    stop() {
      running = false;
      o.clock.clearTimeout(restartTimer);
      restartTimer = undefined;
    },
    // ListWatch has stopped (failed list, or a watch that ended with a non-410 error).
    onError(err: unknown) {
      if (!running || restartTimer !== undefined) return;
      const delay = restartDelay(o.backoff, failures);
      failures++;
      o.logger.warn(
        { informer: o.name, err, gone: isGone(err), retryInMs: delay, synced: o.isSynced() },
        'list/watch failed; restarting',
      );
      restartTimer = o.clock.setTimeout(() => {
        restartTimer = undefined;
        if (!running) return;
        o.metrics?.restarted();
        o.launch();
      }, delay);
    },
  };
}

function isGone(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | undefined;
  return e?.statusCode === 410 || e?.code === 410;
}
