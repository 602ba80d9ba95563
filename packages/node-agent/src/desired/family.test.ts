import assert from 'node:assert/strict';
import { dualStackInput } from './fixtures.js';
import { computeFamilyStates, podForFamily, policyForFamily } from './family.js';

describe('per-family states (dual stack)', () => {
  it('a policy leaves a family alone without an IP of it, or with destinations of the other family only', () => {
    const p = { key: 'a/b', egressIPs: ['192.0.2.1', '2001:db8::1'], destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: [], assignments: new Map() };
    assert.equal(policyForFamily(p, 6), null);
    assert.deepEqual(policyForFamily({ ...p, destinationCIDRs: [] }, 6)?.destinationCIDRs, ['::/0']);
    assert.deepEqual(policyForFamily({ ...p, destinationCIDRs: [] }, 4)?.destinationCIDRs, []);
    assert.equal(policyForFamily({ ...p, egressIPs: ['192.0.2.1'], destinationCIDRs: [] }, 6), null);
    assert.deepEqual(policyForFamily({ ...p, destinationCIDRs: ['0.0.0.0/0', '::/0'], excludedCIDRs: ['2001:db8::/64'] }, 6),
      { ...p, egressIPs: ['2001:db8::1'], destinationCIDRs: ['::/0'], excludedCIDRs: ['2001:db8::/64'], assignments: new Map() });
  });

  it('a pod takes its address of the family; none of it: no address', () => {
    const pod = { key: 'a/p', uid: 'u', nodeName: 'n1', podIP: '203.0.113.5', podIPs: ['203.0.113.5', '2001:db8:70::5'] };
    assert.equal(podForFamily(pod, 6).podIP, '2001:db8:70::5');
    assert.equal(podForFamily(pod, 4).podIP, '203.0.113.5');
    assert.equal(podForFamily({ ...pod, podIPs: ['203.0.113.5'] }, 6).podIP, undefined);
  });

  it('IPv6 state: its own egress IPs, pods, destinations and cluster CIDRs; dark (IPv4 only) absent', () => {
    const { v6 } = computeFamilyStates(dualStackInput());
    assert.equal(v6!.family, 6);
    assert.deepEqual(v6!.addresses, ['2001:db8:0:2::102']);
    assert.deepEqual(v6!.director.map((d) => [d.egressIP, d.podIPs, d.route]), [
      ['2001:db8:0:2::100', ['2001:db8:70::33', '2001:db8:70::34'], { kind: 'direct', via: '2001:db8:0:2::100' }],
    ]);
    assert.deepEqual(v6!.clusterCIDRs, ['2001:db8:70::/48']);
    assert.ok(!v6!.leakGuard.some((g) => g.policyKey === 'ops/dark'));
  });

  it('VXLAN mode: an IPv6 director fails closed (unreachable) — the tunnel carries IPv4 only', () => {
    const { v4, v6 } = computeFamilyStates(dualStackInput({ mode: 'vxlan' }));
    assert.ok(v4!.director.some((d) => d.route.kind === 'vxlan'));
    assert.ok(v6!.director.length > 0 && v6!.director.every((d) => d.route.kind === 'unreachable'));
  });
});
