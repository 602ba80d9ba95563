import assert from 'node:assert/strict';
import { claimsOf, parseArpLine, twoMacWindows } from './arp.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const line = (t: number, mac: string, rest: string) => `${(t / 1000).toFixed(6)} ${mac} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: ${rest}, length 28`;

describe('lab ARP capture', () => {
  it('parses requests, replies and gratuitous ARP as tcpdump -e -tt prints them', () => {
    assert.deepEqual(parseArpLine(line(1000, A, 'Request who-has 192.0.2.1 tell 192.0.2.100')),
      { t: 1000, srcMac: A, op: 'request', sender: '192.0.2.100', target: '192.0.2.1' });
    assert.deepEqual(parseArpLine(line(2000, B, `Reply 192.0.2.100 is-at ${B}`)), { t: 2000, srcMac: B, op: 'reply', sender: '192.0.2.100', target: '' });
    assert.deepEqual(parseArpLine(line(3000, A, 'Request who-has 192.0.2.100 tell 192.0.2.100'))?.sender, '192.0.2.100');
    assert.deepEqual(parseArpLine(line(3000, A, 'Request who-has 192.0.2.100 (ff:ff:ff:ff:ff:ff) tell 192.0.2.100')),
      { t: 3000, srcMac: A, op: 'request', sender: '192.0.2.100', target: '192.0.2.100' }, 'a GARP as arping -U sends it');
    assert.equal(parseArpLine('listening on br, link-type EN10MB (Ethernet)'), undefined);
  });

  it('finds who claimed an IP, and the 100 ms windows in which two MACs did', () => {
    const frames = [
      line(1000, A, `Reply 192.0.2.100 is-at ${A}`),
      line(1050, B, `Reply 192.0.2.100 is-at ${B}`), // same window as A's: a conflict
      line(1150, B, `Reply 192.0.2.100 is-at ${B}`),
      line(1210, A, 'Request who-has 192.0.2.1 tell 192.0.2.11'), // A asks with its own address: no claim
      line(1220, A, `Reply 192.0.2.101 is-at ${A}`), // another IP
    ].map((l) => parseArpLine(l)!);
    assert.deepEqual(claimsOf(frames, '192.0.2.100', 1040).map((f) => f.t), [1050, 1150]);
    assert.deepEqual(twoMacWindows(frames, '192.0.2.100'), [{ t: 1000, macs: [A, B] }]);
    assert.deepEqual(twoMacWindows(frames, '192.0.2.101'), []);
  });
});
