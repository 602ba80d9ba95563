// parseConntrackEvent on lines captured from the real `conntrack -E -e NEW,DESTROY -o timestamp,extended,id`
// in a lab namespace (testdata/conntrack-events.txt: a pod 203.0.113.34 SNATed to 192.0.2.100 reaching
// 198.51.100.10 over TCP, UDP and ICMP, beside flows that were not translated).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConntrackEvent } from './conntrack-event.js';

const CAPTURED = readFileSync(join(import.meta.dirname, 'testdata', 'conntrack-events.txt'), 'utf8').split('\n');

describe('parseConntrackEvent', () => {
  it('parses every event line of the capture and nothing else', () => {
    const events = CAPTURED.map(parseConntrackEvent);
    assert.equal(events.filter(Boolean).length, 15);
    assert.equal(events.at(-2), undefined, 'the tool\'s closing banner is no event');
  });

  it('a TCP start: both tuples, the entry id, the time; no counters yet', () => {
    assert.deepEqual(parseConntrackEvent(CAPTURED[0]!), {
      type: 'new', timeMs: 1796015188018, family: 'ipv4', protocol: 'tcp', id: '1760034546',
      original: { src: '203.0.113.34', dst: '198.51.100.10', sport: 44694, dport: 8080 },
      reply: { src: '198.51.100.10', dst: '192.0.2.100', sport: 8080, dport: 44694 },
    });
  });

  it('a TCP end after TIME_WAIT (a state word where NEW has the timeout) with both directions\' counters', () => {
    const e = parseConntrackEvent(CAPTURED.find((l) => l.includes('[DESTROY]') && l.includes('dport=8082'))!);
    assert.equal(e?.type, 'destroy');
    assert.equal(e?.id, '1383600772');
    assert.deepEqual(e?.original, { src: '203.0.113.34', dst: '198.51.100.10', sport: 49298, dport: 8082, packets: 5, bytes: 5268 });
    assert.deepEqual(e?.reply, { src: '198.51.100.10', dst: '192.0.2.100', sport: 8082, dport: 49298, packets: 3, bytes: 164 });
  });

  it('ICMP: the echo id in each tuple is not the entry id, and no ports', () => {
    const e = parseConntrackEvent(CAPTURED.find((l) => l.includes('[DESTROY]') && l.includes('id=3660979891'))!);
    assert.equal(e?.id, '3660979891');
    assert.deepEqual(e?.original, { src: '203.0.113.34', dst: '198.51.100.10', packets: 1, bytes: 84 });
  });

  it('an IPv6 line, [UNREPLIED] and [USERSPACE] markers, addresses made canonical', () => {
    const e = parseConntrackEvent('[1796015194.5]\t[DESTROY] ipv6     10 udp      17 src=2001:DB8::0:5 dst=2001:db8:1::9 ' +
      'sport=5 dport=53 packets=1 bytes=70 [UNREPLIED] src=2001:db8:1::9 dst=2001:db8::100 sport=53 dport=5 packets=0 bytes=0 id=7 [USERSPACE] portid=99');
    assert.equal(e?.family, 'ipv6');
    assert.equal(e?.timeMs, 1796015194500);
    assert.equal(e?.original.src, '2001:db8::5');
    assert.deepEqual(e?.reply, { src: '2001:db8:1::9', dst: '2001:db8::100', sport: 53, dport: 5, packets: 0, bytes: 0 });
  });

  it('an IPv6 ICMP start as the tool prints it (captured: conntrack -E reports both families unless told)', () => {
    const e = parseConntrackEvent('[1796016191.343300]\t    [NEW] ipv6     10 icmpv6   58 30 src=2001:db8::1 dst=2001:db8::1 type=128 code=0 ' +
      'id=9588 [UNREPLIED] src=2001:db8::1 dst=2001:db8::1 type=129 code=0 id=9588 id=2780559895');
    assert.deepEqual([e?.type, e?.family, e?.protocol, e?.id, e?.timeMs], ['new', 'ipv6', 'icmpv6', '2780559895', 1796016191343]);
  });

  it('rejects lines it cannot read whole: no id, one tuple, a bad address or number, an [UPDATE]', () => {
    const ok = CAPTURED[0]!;
    for (const bad of [ok.replace(/ id=\d+$/, ''), ok.replace(/\[UNREPLIED\].*/, 'id=1'), ok.replace('203.0.113.34', '203.0.113.345'),
      ok.replace('sport=44694', 'sport=x'), ok.replace('[NEW]', '[UPDATE]'), '', 'conntrack v1.4.7 (conntrack-tools): 15 flow events have been shown.']) {
      assert.equal(parseConntrackEvent(bad), undefined, bad);
    }
  });
});
