// What the lab's daemons said during a bench (issue 16 §4): counts of the lines that tell a starved
// lab apart — lost leaderships, lease round trips that timed out, fenced agents' failed
// confirmations, gateways marked unhealthy — and the managers' logs kept gzipped beside the results.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const LOG_SIGNS = {
  lostLeaderships: '"stopped leading"',
  leaseTimeouts: 'lease request timed out',
  confirmFailures: 'could not confirm this node',
  fenced: 'dropping egress addresses',
  unhealthyVerdicts: 'stopped answering its health probe',
} as const;

export type LogCounts = Record<keyof typeof LOG_SIGNS, number>;

/** Pure: how many lines of `text` carry each sign. */
export function countLogSigns(text: string): LogCounts {
  const out = Object.fromEntries(Object.keys(LOG_SIGNS).map((k) => [k, 0])) as LogCounts;
  for (const line of text.split('\n')) {
    for (const [k, sign] of Object.entries(LOG_SIGNS) as [keyof LogCounts, string][]) if (line.includes(sign)) out[k]++;
  }
  return out;
}

/** Sums the signs over the agents' and the managers' logs; gzips the managers' logs into `resultsDir` as `<stamp>-<file>.gz`. */
export function keepDaemonLogs(logDir: string, resultsDir: string, stamp: string): { agents: LogCounts; managers: LogCounts; artifacts: string[] } {
  const sum = (a: LogCounts, b: LogCounts): LogCounts => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof LogCounts] + b[k as keyof LogCounts]])) as LogCounts;
  let agents = countLogSigns('');
  let managers = countLogSigns('');
  const artifacts: string[] = [];
  for (const f of readdirSync(logDir).sort()) {
    if (!/^(agent|manager)-.*\.log$/.test(f)) continue;
    const text = readFileSync(join(logDir, f), 'utf8');
    if (f.startsWith('agent')) agents = sum(agents, countLogSigns(text));
    else {
      managers = sum(managers, countLogSigns(text));
      const file = `${stamp}-${f}.gz`;
      writeFileSync(join(resultsDir, file), gzipSync(text));
      artifacts.push(file);
    }
  }
  return { agents, managers, artifacts };
}
