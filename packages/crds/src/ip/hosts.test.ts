import assert from 'node:assert/strict';
import { cidrHostCount, ipv4NetworkOrBroadcast, mustParseCIDRv4, parseCIDR, type CIDR } from './index.js';

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

  it('IPv6 has no broadcast: no address is excluded', () => {
    const v6 = parseCIDR('2001:db8::/64') as CIDR;
    assert.equal(ipv4NetworkOrBroadcast(v6, '2001:db8::'), undefined);
    assert.equal(cidrHostCount(v6), 1n << 64n);
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
