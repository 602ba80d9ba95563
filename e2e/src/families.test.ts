// The family table the suites run over (families.ts): each family's egress IPs are canonical, usable
// addresses of its pool range, of its own family, never a node's; its destinations are in its
// external range; IPv4's first egress IP is the one the IPv4-only suites always used.
import assert from 'node:assert/strict';
import { canonicalIP, cidrContainsIP, cidrUnusableEnd, ipFamilyOf, mustParseCIDR } from '@static-egress/crds';
import { DUAL_STACK, FAMILY_MODES, IPV4, IPV4_ONLY, IPV6, egressIPsOf } from './families.js';
import { EGRESS_IP, EGRESS_IP_2 } from './scenario.js';

describe('e2e address families', () => {
  for (const f of [IPV4, IPV6]) {
    it(`${f.name}: egress IPs 0–7 are distinct usable addresses of its pool range, never a node's`, () => {
      const pool = mustParseCIDR(f.pool.cidr);
      const ips = Array.from({ length: 8 }, (_, k) => f.egressIP(k));
      assert.equal(new Set(ips).size, ips.length);
      for (const ip of ips) {
        assert.equal(canonicalIP(ip), ip, `${ip} is canonical text`);
        assert.equal(ipFamilyOf(ip), f.name === 'IPv4' ? 4 : 6);
        assert.ok(cidrContainsIP(pool, ip), `${ip} in ${f.pool.cidr}`);
        assert.equal(cidrUnusableEnd(pool, ip), undefined, `${ip} usable`);
        assert.ok(!(f.pool.reserved ?? []).includes(ip), `${ip} not reserved`);
        for (let i = 1; i <= 6; i++) assert.notEqual(ip, f.nodeIP(i));
      }
      const ext = mustParseCIDR(f.externalCIDR);
      for (const d of [f.echo, f.echo2]) assert.ok(cidrContainsIP(ext, d), `${d} in ${f.externalCIDR}`);
      assert.equal(ext.family, pool.family);
    });
  }

  it('IPv4 only keeps the IPv4 suites\' addresses; dual stack adds IPv6 after IPv4', () => {
    assert.deepEqual(egressIPsOf(IPV4_ONLY, 0), [EGRESS_IP]);
    assert.deepEqual(egressIPsOf(IPV4_ONLY, 1), [EGRESS_IP_2]);
    assert.deepEqual(egressIPsOf(DUAL_STACK, 0), [EGRESS_IP, '2001:db8:0:2::101']);
    assert.deepEqual(FAMILY_MODES.map((m) => m.ipFamilies), [['IPv4'], ['IPv4', 'IPv6']]);
    assert.throws(() => IPV6.podIP({ namespace: 'n', name: 'p', node: 1, ip: '203.0.113.34', netns: 'x', index: 0, labels: {} }),
      /has no IPv6 address/);
  });
});
