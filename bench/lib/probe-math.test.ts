import assert from 'node:assert/strict';
import { firstGoodSentAfter, outage, parseIperfBps, parsePingRtts, sendInterval, sliceRecord, toTimeline, type ProbeRecord } from './probe-math.js';

const E = '192.0.2.100';
// sends every 5 ms from t=0; replies 1 ms later with E, except seq 4..9 (lost) and seq 3 (node IP).
const rec: ProbeRecord = {
  mode: 'udp', target: 'x', interval: 5,
  sends: Array.from({ length: 14 }, (_, i) => [i, i * 5] as [number, number]),
  replies: Array.from({ length: 14 }, (_, i) => i).filter((i) => i < 4 || i > 9)
    .map((i) => [i, i * 5 + 1, i === 3 ? '192.0.2.11' : E] as [number, number, string]),
  errors: [],
};

describe('probe math', () => {
  it('outage: the longest time between two good replies (a late answer to an early send does not hide it)', () => {
    assert.deepEqual(outage(rec, E), { start: 11, end: 51, gap: 40 });
    const late: ProbeRecord = { ...rec, replies: [...rec.replies, [2, 30, E]] };
    assert.deepEqual(outage(late, E), { start: 30, end: 51, gap: 21 });
    assert.equal(outage(sliceRecord(rec, 40, 45), E), undefined);
  });

  it('first good send after t, and the send interval', () => {
    assert.equal(firstGoodSentAfter(rec, E, 12)!.seq, 10);
    assert.equal(firstGoodSentAfter(rec, '192.0.2.11', 0)!.send, 15);
    assert.equal(sendInterval(rec), 5);
  });

  it('slices by send time, keeping only the replies to those sends', () => {
    const s = sliceRecord(rec, 10, 20);
    assert.deepEqual(s.sends.map(([q]) => q), [2, 3, 4]);
    assert.deepEqual(s.replies.map(([q]) => q), [2, 3]);
  });

  it('builds a timeline relative to the fault', () => {
    const tl = toTimeline(rec, E, 17, 't', [{ name: 'detection', start: 17, end: 40 }])!;
    assert.deepEqual(tl.gap, { start: -6, end: 34 });
    assert.equal(tl.sends.filter((x) => x.ok).length, 7);
    assert.deepEqual(tl.phases[0], { name: 'detection', start: 0, end: 23 });
  });

  it('parses ping and iperf3 output', () => {
    const ping = 'PING 198.51.100.10 56(84) bytes of data.\n64 bytes from 198.51.100.10: icmp_seq=1 ttl=62 time=0.052 ms\n' +
      '64 bytes from 198.51.100.10: icmp_seq=2 ttl=62 time=0.101 ms\n\nrtt min/avg/max/mdev = 0.052/0.076/0.101/0.024 ms';
    assert.deepEqual(parsePingRtts(ping), [0.052, 0.101]);
    assert.equal(parseIperfBps(JSON.stringify({ end: { sum_received: { bits_per_second: 5e9 } } })), 5e9);
    assert.throws(() => parseIperfBps(JSON.stringify({ error: 'busy' })), /busy/);
  });
});
