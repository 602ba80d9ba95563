import { pino, type Logger as PinoLogger } from 'pino';

/**
 * The logging surface controller-kit needs. A pino logger satisfies it; tests pass
 * `silentLogger` or a recording fake.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * pino JSON logger to stdout, level from `LOG_LEVEL` (default `info`). An unknown level is an
 * error rather than a silent fallback, so a typo in a manifest is noticed at start.
 */
export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env): PinoLogger {
  const level = (env['LOG_LEVEL'] ?? 'info').toLowerCase();
  if (!LEVELS.has(level)) {
    throw new Error(`LOG_LEVEL=${env['LOG_LEVEL']} is not one of ${[...LEVELS].join(', ')}`);
  }
  return pino({ name, level, base: { name }, timestamp: pino.stdTimeFunctions.isoTime });
}
