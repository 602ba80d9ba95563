// The egress audit log's cost on a gateway (issue 10 §5): conntrack event lines per second through
// the whole pipeline (parse, pod lookup, render, rate limit, JSON line to a sink that discards), the
// captured lines of packages/node-agent/src/audit/testdata in a loop (8 of 15 are ours). Baseline:
// the parser alone in the same run. Target: 50,000 events/s on one core — a gateway opening 25,000
// translated connections a second (a start and an end each) spends at most half a core on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '@static-egress/controller-kit';
import { AuditLog } from '../packages/node-agent/src/audit/audit-log.js';
import { parseConntrackEvent } from '../packages/node-agent/src/audit/conntrack-event.js';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';

const TARGET = 50_000;
const LINES = readFileSync(join(import.meta.dirname, '../packages/node-agent/src/audit/testdata/conntrack-events.txt'), 'utf8')
  .split('\n').filter((l) => l.startsWith('['));

function rate(n: number, fn: (line: string) => void): number {
  for (let i = 0; i < 20_000; i++) fn(LINES[i % LINES.length]!); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(LINES[i % LINES.length]!);
  return (n / (performance.now() - t)) * 1000;
}

export async function run(o: BenchOptions): Promise<BenchResult> {
  const n = o.quick ? 100_000 : 1_000_000;
  const pods = new Map([['203.0.113.34', { namespace: 'shop', name: 'frontend-1' }]]);
  for (let i = 0; i < 10_000; i++) pods.set(`10.${i >> 8}.${i & 255}.1`, { namespace: 'ns', name: `pod-${i}` });
  let written = 0;
  const log = new AuditLog({
    clock: new FakeClock(), node: 'node-2', ratePerSec: 1e12, podByIP: () => pods, heldIPs: () => new Set(['192.0.2.100']),
    sink: { write: (l) => { written += l.length; }, close: () => {} },
  });
  const baseline = rate(n, (l) => { parseConntrackEvent(l); });
  const value = rate(n, (l) => log.onLine(l));
  log.stop();
  return {
    name: 'audit-log',
    figures: [figure({
      name: 'audit log: conntrack events through the pipeline (one core)', unit: 'events/s', value: Math.round(value),
      baseline: { name: 'parser alone', value: Math.round(baseline) },
      target: `≥ ${TARGET} events/s`, met: value >= TARGET, details: { events: n, bytesWritten: written },
    })],
  };
}
