// AuditLog over the captured conntrack lines with a fake clock and a sink that keeps the lines:
// the rate limit, the dropped summary, the end of a flow whose IP moved away, stop.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '@static-egress/controller-kit';
import { AuditLog } from './audit-log.js';
import type { PodRef } from './record.js';
import type { AuditSink } from './sink.js';
import { TokenBucket } from './token-bucket.js';

const CAPTURED = readFileSync(join(import.meta.dirname, 'testdata', 'conntrack-events.txt'), 'utf8').split('\n');
const START = CAPTURED[0]!;
const END = CAPTURED.find((l) => l.includes('[DESTROY]') && l.includes('id=1760034546'))!;

class FakeAuditSink implements AuditSink {
  readonly lines: Record<string, unknown>[] = [];
  closed = false;
  write(line: string): void {
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one whole line');
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  close(): void { this.closed = true; }
}

function setup(ratePerSec = 100) {
  const clock = new FakeClock(Date.parse('2026-11-30T05:00:00Z'));
  const sink = new FakeAuditSink();
  const state = { held: new Set(['192.0.2.100']), pods: new Map<string, PodRef>([['203.0.113.34', { namespace: 'shop', name: 'frontend-1' }]]) };
  const log = new AuditLog({ clock, sink, node: 'node-2', ratePerSec, podByIP: () => state.pods, heldIPs: () => state.held });
  return { clock, sink, state, log };
}

describe('AuditLog', () => {
  it('writes the start and end of each translated connection of the capture, nothing else', () => {
    const { sink, log } = setup();
    for (const l of CAPTURED) log.onLine(l);
    assert.deepEqual(sink.lines.map((l) => `${l['audit']} ${l['protocol']} ${l['flow']}`), [
      'start tcp 1760034546', 'start tcp 1383600772', 'start udp 919440288', 'start icmp 3660979891',
      'end tcp 1760034546', 'end tcp 1383600772', 'end udp 919440288', 'end icmp 3660979891',
    ]);
  });

  it('the end of a logged start still appears, with its pod, after the IP left and the pod was deleted', () => {
    const { sink, log, state } = setup();
    log.onLine(START);
    state.held = new Set();
    state.pods = new Map();
    log.onLine(END);
    assert.deepEqual(sink.lines.map((l) => [l['audit'], l['podName'], l['egressIP']]), [['start', 'frontend-1', '192.0.2.100'], ['end', 'frontend-1', '192.0.2.100']]);
    log.onLine(END); // a repeated end no longer matches a start, and the IP is not held
    assert.equal(sink.lines.length, 2);
  });

  it('over the rate: lines are dropped and counted in one summary line per period, none when nothing dropped', () => {
    const { clock, sink, log } = setup(2);
    for (let i = 0; i < 5; i++) log.onLine(START);
    assert.equal(sink.lines.length, 2, 'a burst of 2');
    clock.advance(10_000);
    assert.deepEqual(sink.lines.slice(2), [{
      time: '2026-11-30T05:00:10.000Z', audit: 'dropped', node: 'node-2', count: 3, sinceTime: '2026-11-30T05:00:00.000Z',
    }]);
    for (let i = 0; i < 2; i++) log.onLine(START); // refilled while waiting
    clock.advance(10_000);
    assert.equal(sink.lines.length, 5, 'two more records and no summary');
    log.onLine(START);
    log.onLine(START);
    log.onLine(START); // the third in the same instant is over the burst
    log.stop();
    assert.equal(sink.lines.at(-1)?.['audit'], 'dropped', 'stop writes what is pending');
    assert.equal(sink.lines.at(-1)?.['count'], 1);
    log.onLine(START);
    clock.advance(60_000);
    assert.equal(sink.lines.length, 8, 'nothing after stop');
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the rate; time going backwards gives nothing', () => {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual([1, 2, 3, 4].map(() => b.take(0)), [true, true, true, false]);
    assert.equal(b.take(100), true, 'one token per 100 ms');
    assert.equal(b.take(100), false);
    assert.equal(b.take(50), false);
    assert.deepEqual([1, 2, 3, 4].map(() => b.take(10_000)), [true, true, true, false], 'never more than the burst saved');
    assert.throws(() => new TokenBucket(0, 1, 0), /must be positive/);
  });
});
