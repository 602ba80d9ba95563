// The IP module against ipaddr.js, over random addresses of both families.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  cidrContainsIP, compareIPAddresses, compareIPs, formatIP, ipFromBytes, ipFromHex, ipToBytes, ipToHex, parseCIDR, parseIP,
  parseIPv4, sortByIP, type IPAddress,
} from './index.js';

const RUNS = 1000;
const v4 = fc.ipV4();
const v6 = fc.ipV6().filter((s) => !ipaddr.IPv6.parse(s).isIPv4MappedAddress());
const anyIP = fc.oneof(v4, v6);
const text = fc.oneof(anyIP, fc.ipV4Extended(), fc.string({ maxLength: 16 }));
const parsed = (s: string): IPAddress => parseIP(s)!;

describe('ip module properties', () => {
  it('format(parse(x)) is ipaddr.js\'s canonical text, and parses back to the same address', () => {
    fc.assert(fc.property(anyIP, (s) => {
      const a = parsed(s);
      assert.equal(formatIP(a), ipaddr.parse(s).toString());
      assert.deepEqual(parseIP(formatIP(a)), a);
      assert.equal(ipFromHex(ipToHex(s)), formatIP(a));
      assert.deepEqual(ipFromBytes(ipToBytes(s)), a);
      assert.deepEqual([...ipToBytes(s)], ipaddr.parse(s).toByteArray());
    }), { numRuns: RUNS });
  });

  it('IPv4 strictness is ipaddr.js\'s four-part decimal (the CEL rule), on any text', () => {
    fc.assert(fc.property(text, (s) => {
      assert.equal(parseIPv4(s) !== undefined, ipaddr.IPv4.isValidFourPartDecimal(s), s);
    }), { numRuns: RUNS });
  });

  it('contains agrees with ipaddr.js match, both families', () => {
    fc.assert(fc.property(anyIP, anyIP, fc.nat(128), (net, ip, bits) => {
      const n = ipaddr.parse(net);
      const prefix = bits % (n.kind() === 'ipv4' ? 33 : 129);
      const base = n.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${net}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${net}/${prefix}`);
      const c = parseCIDR(`${base.toString()}/${prefix}`);
      assert.ok(typeof c === 'object', `${base.toString()}/${prefix}`);
      const i = ipaddr.parse(ip);
      const expected = i.kind() === n.kind() && i.match(base, prefix);
      assert.equal(cidrContainsIP(c, ip), expected);
      assert.equal(cidrContainsIP(c, net), true);
    }), { numRuns: RUNS });
  });

  it('compare is a total order: antisymmetric, transitive, zero only for the same address', () => {
    fc.assert(fc.property(anyIP, anyIP, anyIP, (x, y, z) => {
      const [a, b, c] = [parsed(x), parsed(y), parsed(z)];
      assert.equal(Math.sign(compareIPAddresses(a, b)) + 0, -Math.sign(compareIPAddresses(b, a)) + 0); // + 0: -0 is 0 here
      assert.equal(compareIPAddresses(a, b) === 0, formatIP(a) === formatIP(b));
      if (compareIPAddresses(a, b) <= 0 && compareIPAddresses(b, c) <= 0) assert.ok(compareIPAddresses(a, c) <= 0);
    }), { numRuns: RUNS });
    fc.assert(fc.property(fc.array(text, { maxLength: 8 }), (xs) => {
      const sorted = [...xs].sort(compareIPs);
      for (let i = 1; i < sorted.length; i++) assert.ok(compareIPs(sorted[i - 1]!, sorted[i]!) <= 0);
      assert.deepEqual([...xs].reverse().sort(compareIPs), sorted);
      assert.deepEqual(sortByIP(xs, (x) => x), sorted);
    }), { numRuns: RUNS });
  });
});
