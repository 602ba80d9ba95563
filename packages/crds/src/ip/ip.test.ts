import assert from 'node:assert/strict';
import {
  canonicalIP, cidrContainsIP, cidrNetwork, cidrsOverlap, compareIPs, ipFromBytes, ipFromHex, ipToBytes, ipToHex,
  ipv4FromInt, ipv4ToInt, ipv6FromBigInt, ipv6ToBigInt, mustParseCIDRv4, parseCIDR, parseCIDRv4, parseIP, parseIPv4, parseIPv6,
} from './index.js';

describe('ip addresses', () => {
  it('parse IPv4 as the CEL rules admit it: dotted quad, no leading zeros', () => {
    assert.deepEqual(parseIP('192.0.2.1'), { family: 4, value: 0xc0000201 });
    assert.equal(parseIPv4('255.255.255.255'), '255.255.255.255');
    for (const bad of ['192.0.2.01', '192.0.2', '1.2.3.4.5', '256.0.0.1', '0x1.2.3.4', '1e2.0.0.1', '', ' 1.2.3.4', '::1', 7, null]) {
      assert.equal(parseIPv4(bad), undefined, String(bad));
    }
  });

  it('parse IPv6 to its canonical form; zones and IPv4-mapped addresses are refused', () => {
    assert.equal(parseIPv6('2001:0db8:0:0::1'), '2001:db8::1');
    assert.equal(canonicalIP('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIP('::'), '::');
    assert.deepEqual(parseIP('::1'), { family: 6, value: 1n });
    for (const bad of ['fe80::1%eth0', '::ffff:192.0.2.1', '1::2::3', '2001:db8::g', '192.0.2.1']) assert.equal(parseIPv6(bad), undefined, bad);
  });

  it('convert to and from numbers, bytes and hex', () => {
    assert.equal(ipv4ToInt('192.0.2.1'), 3221225985);
    assert.equal(ipv4FromInt(3221225985), '192.0.2.1');
    assert.throws(() => ipv4ToInt('192.0.2.01'));
    assert.equal(ipv6ToBigInt('2001:db8::1'), 0x20010db8000000000000000000000001n);
    assert.equal(ipv6FromBigInt(0x20010db8000000000000000000000001n), '2001:db8::1');
    assert.deepEqual([...ipToBytes('192.0.2.1')], [192, 0, 2, 1]);
    assert.equal(ipToBytes('2001:db8::1').length, 16);
    assert.deepEqual(ipFromBytes([192, 0, 2, 1]), { family: 4, value: 0xc0000201 });
    assert.equal(ipFromBytes([1, 2, 3]), undefined);
    assert.equal(ipToHex('192.0.2.1'), 'c0000201');
    assert.equal(ipFromHex('C0000201'), '192.0.2.1');
    assert.equal(ipFromHex(ipToHex('2001:db8::1')), '2001:db8::1');
    assert.equal(ipFromHex('c00002'), undefined);
  });

  it('order numerically, IPv4 before IPv6, text that is no address last', () => {
    const ips = ['192.0.2.100', '::1', '192.0.2.99', '2001:db8::', '10.0.0.1', 'junk', '192.0.2.010'];
    assert.deepEqual([...ips].sort(compareIPs), ['10.0.0.1', '192.0.2.99', '192.0.2.100', '::1', '2001:db8::', '192.0.2.010', 'junk']);
  });
});

describe('ip CIDRs', () => {
  it('parse strictly: host bits zero, prefix without leading zeros, in range', () => {
    assert.deepEqual(parseCIDRv4('192.0.2.96/27'), { family: 4, text: '192.0.2.96/27', network: 0xc0000260, prefix: 27 });
    assert.equal(parseCIDRv4('192.0.2.100/27'), 'host-bits');
    for (const bad of ['192.0.2.96/33', '192.0.2.96/027', '192.0.2.96', '192.0.2.096/27', '2001:db8::/32', 5]) assert.equal(parseCIDRv4(bad), 'invalid', String(bad));
    assert.deepEqual(parseCIDR('2001:0db8::/32'), { family: 6, text: '2001:db8::/32', network: 0x20010db8n << 96n, prefix: 32 });
    assert.equal(parseCIDR('2001:db8::1/64'), 'host-bits');
    assert.equal(parseCIDR('2001:db8::/129'), 'invalid');
    assert.equal((parseCIDR('::/0') as { text: string }).text, '::/0');
  });

  it('contain and overlap within one family only', () => {
    const lan = mustParseCIDRv4('192.0.2.96/27');
    assert.equal(cidrContainsIP(lan, '192.0.2.127'), true);
    assert.equal(cidrContainsIP(lan, '192.0.2.128'), false);
    assert.equal(cidrContainsIP(mustParseCIDRv4('0.0.0.0/0'), '198.51.100.1'), true);
    assert.equal(cidrContainsIP(mustParseCIDRv4('0.0.0.0/0'), '::1'), false);
    const v6 = parseCIDR('2001:db8::/32');
    assert.ok(typeof v6 === 'object');
    assert.equal(cidrContainsIP(v6, '2001:db8:ffff::1'), true);
    assert.equal(cidrContainsIP(v6, '2001:db9::1'), false);
    assert.equal(cidrsOverlap(lan, mustParseCIDRv4('192.0.2.112/28')), true);
    assert.equal(cidrsOverlap(lan, mustParseCIDRv4('192.0.2.128/27')), false);
    assert.equal(cidrsOverlap(v6, mustParseCIDRv4('0.0.0.0/0')), false);
  });

  it('give the network of an address/prefix, host bits cleared', () => {
    assert.equal(cidrNetwork('10.1.2.3/8'), '10.0.0.0/8');
    assert.equal(cidrNetwork('192.0.2.1'), '192.0.2.1/32');
    assert.equal(cidrNetwork('0.0.0.0/0'), '0.0.0.0/0');
    assert.equal(cidrNetwork('2001:db8::1/32'), '2001:db8::/32');
    assert.throws(() => cidrNetwork('192.0.2.1/33'));
  });
});
