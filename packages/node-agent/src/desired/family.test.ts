import assert from 'node:assert/strict';
import { dualStackInput } from './fixtures.js';
import { computeNodeState } from './compute.js';
import { computeFamilyStates, emptyFamilyInput, podForFamily, policyForFamily } from './family.js';
import { linkLocalOf, tunnelNextHop } from './underlay.js';

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

  it('VXLAN mode: an IPv6 director routes to the gateway\'s tunnel link-local address, over the IPv4 underlay', () => {
    const { v4, v6 } = computeFamilyStates(dualStackInput({ mode: 'vxlan' }));
    assert.ok(v4!.director.some((d) => d.route.kind === 'vxlan'));
    const hop = tunnelNextHop('192.0.2.12');
    assert.match(hop, /^fe80::/);
    assert.deepEqual(v6!.director.map((d) => [d.egressIP, d.route]), [['2001:db8:0:2::100', { kind: 'vxlan', via: hop, gatewayNode: 'n2' }]]);
    assert.deepEqual(v6!.vxlanPeers, [{ node: 'n2', ip: hop }]);
    assert.deepEqual(v6!.underlay, { local: '192.0.2.11', peers: new Map([[hop, '192.0.2.12']]) });
  });

  it('VXLAN mode: a gateway without an address of the underlay\'s family is unreachable (fails closed)', () => {
    const d = dualStackInput({ mode: 'vxlan' });
    const nodes = new Map(d.nodes);
    nodes.delete('n2');
    const { v6 } = computeFamilyStates({ ...d, nodes });
    assert.deepEqual(v6!.director.map((x) => x.route), [{ kind: 'unreachable' }]);
    assert.deepEqual([v6!.vxlanPeers, [...v6!.underlay!.peers]], [[], []]);
  });

  it('the tunnel next hop is fe80:: + the EUI-64 of the VTEP MAC (what the kernel gives the device)', () => {
    assert.equal(linkLocalOf('0e:12:34:56:78:9a'), 'fe80::c12:34ff:fe56:789a');
  });

  it('an IPv6-only node\'s IPv4 state is empty, in direct mode, with the IPv4 cluster CIDRs only (an IPv6 one would not load)', () => {
    const d = dualStackInput({ mode: 'vxlan' });
    const in4 = emptyFamilyInput({ ...d, nodeIP: d.nodeIP6, nodes: d.nodes6 }, 4);
    assert.deepEqual([in4.mode, in4.nodeIP, in4.policies, in4.pods, in4.clusterCIDRs], ['direct', '0.0.0.0', [], [], ['203.0.113.0/24']]);
    const s = computeNodeState(in4);
    assert.deepEqual([s.director, s.gateway, s.addresses, s.vxlanPeers], [[], [], [], []]);
    assert.deepEqual(emptyFamilyInput(d, 6).clusterCIDRs, ['2001:db8:70::/48']);
  });
});
