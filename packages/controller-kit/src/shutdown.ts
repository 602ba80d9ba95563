// One shutdown for both daemons: on SIGTERM or SIGINT, once, run the steps in order and exit.
import type { Logger } from './logger.js';

/** A named step; a failing step is logged and the next ones still run. */
export type ShutdownStep = readonly [name: string, run: () => unknown];

export interface ShutdownOptions {
  logger: Logger;
  /** Logged first, with the signal and `fields`. */
  message: string;
  fields?: object;
  steps: readonly ShutdownStep[];
  /** For tests: where signals come from and how the process ends. */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
  exit?: (code: number) => void;
}

/**
 * Installs the handlers. Exits 0 once every step has run, 1 if one failed; a second signal while
 * shutting down is ignored. Returns the shutdown itself (for tests and programmatic stops).
 */
export function exitOnSignal(o: ShutdownOptions): (signal: string) => Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    o.logger.info({ signal, ...o.fields }, o.message);
    let code = 0;
    for (const [name, run] of o.steps) {
      try {
        await run();
      } catch (err) {
        code = 1;
        o.logger.error({ step: name, err }, 'shutdown step failed');
      }
    }
    (o.exit ?? process.exit)(code);
  };
  const signals = o.signals ?? process;
  for (const s of ['SIGTERM', 'SIGINT']) signals.on(s, () => void shutdown(s));
  return shutdown;
}
