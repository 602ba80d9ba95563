import assert from 'node:assert/strict';
import { ALL_ADDRESSES, familyName, ipFamilyOf, isGlobalUnicast } from './index.js';

describe('ip families (issue 11)', () => {
  it('names the family of an address or a CIDR, and nothing else', () => {
    const cases: [text: unknown, family: 4 | 6 | undefined][] = [
      ['192.0.2.1', 4], ['192.0.2.0/24', 4], ['2001:db8::1', 6], ['2001:db8::/32', 6], ['::/0', 6], [ALL_ADDRESSES[4], 4],
      ['::ffff:192.0.2.1', undefined], ['fe80::1%eth0', undefined], ['junk', undefined], ['', undefined], [7, undefined],
    ];
    for (const [text, family] of cases) assert.equal(ipFamilyOf(text), family, String(text));
    assert.deepEqual([familyName(4), familyName(6)], ['IPv4', 'IPv6']);
  });
  it('isGlobalUnicast is Go\'s (the CEL rule) for both families', () => {
    const cases: [ip: string, want: boolean][] = [
      ['192.0.2.1', true], ['10.0.0.1', true], ['0.0.0.0', false], ['127.0.0.1', false], ['169.254.1.1', false], ['224.0.0.5', false],
      ['255.255.255.255', false], ['2001:db8::1', true], ['fd00::1', true], ['::', false], ['::1', false], ['fe80::1', false],
      ['febf:ffff::1', false], ['fec0::1', true], ['ff02::1', false], ['ff0e::1', false], ['2001:DB8::1', true], ['junk', false],
    ];
    for (const [ip, want] of cases) assert.equal(isGlobalUnicast(ip), want, ip);
  });
});
