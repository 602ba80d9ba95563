import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

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
 * How an error is logged (the `err` field): its type, message, code (a Kubernetes API status or an
 * errno) and stack — an object, never a flattened string, so a log pipeline can group by type or
 * code. A thrown non-Error is logged as its text.
 */
export function serializeError(err: unknown): { type: string; message: string; code?: string | number; stack?: string } {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err) };
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(err.stack ? { stack: err.stack } : {}),
  };
}

/**
 * pino JSON logger to stdout, level from `LOG_LEVEL` (default `info`). An unknown level is an
 * error rather than a silent fallback, so a typo in a manifest is noticed at start. Lines carry
 * the level by name (`"level":"warn"`), and `err` fields are serialized by serializeError.
 */
export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env, destination?: DestinationStream): PinoLogger {
  const level = (env['LOG_LEVEL'] ?? 'info').toLowerCase();
  if (!LEVELS.has(level)) {
    throw new Error(`LOG_LEVEL=${env['LOG_LEVEL']} is not one of ${[...LEVELS].join(', ')}`);
  }
  const options = {
    name, level, base: { name }, timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}
