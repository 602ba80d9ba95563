import assert from 'node:assert/strict';
import { cidrHostCount, cidrUnusableEnd, ipv4NetworkOrBroadcast, mustParseCIDRv4, parseCIDR, type CIDR } from './index.js';

describe('ip CIDR hosts (issue 9 point 6)', () => {
  const cases: [cidr: string, ip: string, want: 'network' | 'broadcast' | undefined][] = [
    ['192.0.2.0/24', '192.0.2.0', 'network'],
    ['192.0.2.0/24', '192.0.2.255', 'broadcast'],
    ['192.0.2.0/24', '192.0.2.1', undefined],
    ['192.0.2.0/24', '192.0.2.254', undefined],
    ['192.0.2.96/27', '192.0.2.96', 'network'],
    ['192.0.2.96/27', '192.0.2.127', 'broadcast'],
    ['192.0.2.96/27', '192.0.2.128', undefined], // outside: not this CIDR's broadcast
    ['192.0.2.96/27', '192.0.2.95', undefined],
    ['198.51.100.4/30', '198.51.100.4', 'network'],
    ['198.51.100.4/30', '198.51.100.7', 'broadcast'],
    ['198.51.100.4/31', '198.51.100.4', undefined], // RFC 3021: both addresses are hosts
    ['198.51.100.4/31', '198.51.100.5', undefined],
    ['192.0.2.100/32', '192.0.2.100', undefined], // the converters' single-address pools
    ['0.0.0.0/0', '0.0.0.0', 'network'],
    ['0.0.0.0/0', '255.255.255.255', 'broadcast'],
    ['192.0.2.0/24', '2001:db8::', undefined],
    ['192.0.2.0/24', 'not-an-ip', undefined],
  ];
  for (const [cidr, ip, want] of cases) {
    it(`${ip} in ${cidr}: ${want ?? 'a host'}`, () => assert.equal(ipv4NetworkOrBroadcast(mustParseCIDRv4(cidr), ip), want));
  }

  it('IPv6 has no broadcast; its subnet-router anycast address is unusable except in /127 and /128 (issue 11)', () => {
    const v6 = parseCIDR('2001:db8::/64') as CIDR;
    assert.equal(ipv4NetworkOrBroadcast(v6, '2001:db8::'), undefined);
    assert.equal(cidrUnusableEnd(v6, '2001:db8::'), 'subnet-router anycast');
    assert.equal(cidrUnusableEnd(v6, '2001:db8::1'), undefined);
    assert.equal(cidrUnusableEnd(v6, '2001:db8::ffff:ffff:ffff:ffff'), undefined);
    assert.equal(cidrUnusableEnd(v6, '192.0.2.0'), undefined);
    assert.equal(cidrUnusableEnd(mustParseCIDRv4('192.0.2.0/24'), '192.0.2.255'), 'broadcast');
    assert.equal(cidrHostCount(v6), (1n << 64n) - 1n);
    assert.equal(cidrHostCount(parseCIDR('2001:db8::/126') as CIDR), 3n);
    for (const c of ['2001:db8::/127', '2001:db8::/128']) {
      assert.equal(cidrUnusableEnd(parseCIDR(c) as CIDR, '2001:db8::'), undefined, c);
    }
    assert.equal(cidrHostCount(parseCIDR('2001:db8::/127') as CIDR), 2n);
  });

  it('host count: all addresses but network and broadcast, except /31 and /32', () => {
    const count = (c: string): bigint => cidrHostCount(mustParseCIDRv4(c));
    assert.equal(count('192.0.2.0/24'), 254n);
    assert.equal(count('192.0.2.96/27'), 30n);
    assert.equal(count('198.51.100.4/30'), 2n);
    assert.equal(count('198.51.100.4/31'), 2n);
    assert.equal(count('192.0.2.100/32'), 1n);
    assert.equal(count('0.0.0.0/0'), 2n ** 32n - 2n);
  });
});
