// The lab's IPv6 plan (issue 11): documentation prefix only, canonical CIDRs, pods inside their
// node's /64 and the cluster /56, every address without DAD, and the family option's errors.
import assert from 'node:assert/strict';
import { cidrContainsIP, cidrsOverlap, parseCIDR, type CIDR } from '@static-egress/crds';
import * as V from './ipv6.js';
import { planTopology } from './topology.js';

const cidr = (s: string): CIDR => {
  const c = parseCIDR(s);
  assert.ok(typeof c !== 'string', `${s}: ${String(c)}`);
  return c as CIDR;
};
const DOC = cidr('2001:db8::/32');

describe('lab IPv6 plan', () => {
  it('ipFamilies: IPv4 by default, dual stack or IPv6 only on request, a clear error otherwise', () => {
    assert.deepEqual(V.parseLabIPFamilies(undefined), ['IPv4']);
    assert.deepEqual(V.parseLabIPFamilies(['IPv4', 'IPv6']), ['IPv4', 'IPv6']);
    assert.deepEqual(V.parseLabIPFamilies(['IPv6']), ['IPv6']);
    assert.throws(() => V.parseLabIPFamilies(['IPv6', 'IPv4']), /expected \['IPv4'\], \['IPv4', 'IPv6'\] or \['IPv6'\]/);
  });

  it('every address and CIDR is canonical and inside 2001:db8::/32; pods inside their node /64 and the cluster /56', () => {
    for (const c of [V.EXTERNAL_CIDR6, V.POD_CIDR6, V.SERVICE_CIDR6, V.EGRESS_POOL_CIDR6, ...[1, 6].map(V.podCidr6)]) {
      assert.ok(cidrsOverlap(DOC, cidr(c)) && cidr(c).prefix >= 32, c);
    }
    for (const i of [1, 2, 6]) {
      for (const j of [0, 28]) {
        assert.ok(cidrContainsIP(cidr(V.podCidr6(i)), V.podIP6(i, j)));
        assert.ok(cidrContainsIP(cidr(V.POD_CIDR6), V.podIP6(i, j)));
      }
      assert.ok(!cidrContainsIP(cidr(V.SERVICE_CIDR6), V.podIP6(i, 0)));
      for (const ip of [V.nodeIP6(i), V.managerIP6(i), V.podGatewayIP6(i)]) assert.ok(cidrContainsIP(DOC, ip), ip);
    }
    assert.throws(() => V.podIP6(1, 29), /no pod address left/);
  });

  it('every IPv6 address of the topology and of a pod is added nodad', () => {
    const plan = planTopology({ prefix: 'selunit', nodes: 3, managers: 2, overlay: false });
    const scripts = [...V.renderIPv6Topology(plan), ...V.renderPodIPv6(plan, { index: 1, node: 2, ip: '203.0.113.66', ip6: V.podIP6(2, 0) })];
    const adds = scripts.flatMap((s) => (s.tool === 'ip' ? s.lines : [])).filter((l) => l.startsWith('addr add'));
    assert.ok(adds.length >= 3 + 3 + 2 + 1 + 2, String(adds.length));
    for (const l of adds) assert.match(l, / nodad$/);
    assert.ok(scripts.every((s) => s.ns.startsWith('selunit-')));
  });
});
