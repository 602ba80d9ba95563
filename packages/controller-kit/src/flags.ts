// Daemon flags: strict parsing, durations, ints, addresses; every error names its flag (FlagError,
// exit 2 via parseOrExit).
import { parseArgs, type ParseArgsConfig } from 'node:util';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * `'500ms' | '3s' | '1.5s' | '1m' | '1h'` (and Go-style sums like `1m30s`) → milliseconds.
 * A bare number is rejected: a unit-less duration is ambiguous. `what` names the flag in errors.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim();
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = part.lastIndex;
  }
  if (s.length === 0 || pos !== s.length) {
    throw new Error(`${what}: invalid duration "${text}" (expected e.g. 500ms, 3s, 1.5s, 1m)`);
  }
  return Math.round(total);
}

export class FlagError extends Error {
  override name = 'FlagError';
}

/**
 * A daemon's flag parsing at startup: a FlagError is written as `<program>: <message>` to stderr
 * and the process exits with 2 (usage error); anything else propagates. `exit` is for tests.
 */
export function parseOrExit<T>(program: string, parse: () => T, exit: (code: number) => never = process.exit): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n`);
    return exit(2);
  }
}

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs in strict mode, with errors that name the flag (`FlagError`, exit 2 is
 * the caller's business). Returns the parsed values; positionals are rejected.
 */
export function parseFlags<const O extends FlagSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

/** Helper for flag values: parses a duration flag, naming `--flag` in the error. */
export function durationFlag(values: Record<string, unknown>, flag: string, fallback: string): number {
  const v = values[flag];
  if (v !== undefined && typeof v !== 'string') throw new FlagError(`--${flag}: expected a duration`);
  try {
    return parseDuration(v ?? fallback, `--${flag}`);
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

/** An integer flag within [min, max]; FlagError naming the flag otherwise. */
export function intFlag(values: Record<string, unknown>, flag: string, fallback: number, min: number, max: number): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
    throw new FlagError(`--${flag}: expected an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return n;
}

/** A `host:port` flag (`[v6]:port` accepted); FlagError naming the flag otherwise. */
export function addrFlag(values: Record<string, unknown>, flag: string, fallback: string): { host: string; port: number } {
  const raw = values[flag] ?? fallback;
  const m = typeof raw === 'string' ? /^(.+):(\d+)$/.exec(raw) : null;
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new FlagError(`--${flag}: expected host:port, got "${String(raw)}"`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}
