// Dual-stack (issue 11): the spread rule holds per family. Two egress IPs of one policy and one family
// never share a node; an IPv4 and an IPv6 one may (each family's traffic has its own gateway).
import assert from 'node:assert/strict';
import { assignEgressIPs, type AssignInput, type AssignNode } from './assign.js';

const ANN = 'staticegress.io/max-egress-ips';

function node(name: string): AssignNode {
  return { name, labels: {}, annotations: {}, ready: true, cordoned: false };
}

function world(nodeNames: string[], ips: string[], over: Partial<AssignInput> = {}): AssignInput {
  const nodes = nodeNames.map(node);
  return {
    policies: [{ key: 'shop/db', createdAt: 1, ips: ips.map((ip) => ({ ip, pool: 'dual' })) }],
    pools: [{ name: 'dual', maxIPsPerNode: 8, cidrs: [{ cidr: '192.0.2.0/24' }, { cidr: '2001:db8::/64' }] }],
    nodes,
    health: new Map(nodes.map((n) => [n.name, true])),
    previous: new Map(),
    capacityAnnotation: ANN,
    ...over,
  };
}

const DUAL = ['192.0.2.100', '192.0.2.101', '2001:db8::100', '2001:db8::101'];

describe('assignEgressIPs, dual-stack (issue 11)', () => {
  it('spreads each family over the nodes; a node holds one IP of each family', () => {
    const out = assignEgressIPs(world(['n1', 'n2'], DUAL));
    assert.deepEqual([...out.assignments].sort(), [
      ['192.0.2.100', 'n1'], ['192.0.2.101', 'n2'], ['2001:db8::100', 'n1'], ['2001:db8::101', 'n2'],
    ]);
    assert.deepEqual(out.unassigned, []);
  });
  it('one node: it holds an IPv4 and an IPv6 IP of the policy, the second of each family waits', () => {
    const out = assignEgressIPs(world(['n1'], DUAL));
    assert.deepEqual([...out.assignments].sort(), [['192.0.2.100', 'n1'], ['2001:db8::100', 'n1']]);
    assert.deepEqual(out.unassigned.map((u) => [u.ip, u.reason]), [['192.0.2.101', 'NoGatewayAvailable'], ['2001:db8::101', 'NoGatewayAvailable']]);
  });
  it('keeps an IPv4 and an IPv6 IP of one policy together on their holder (sticky), and fails both over', () => {
    const previous = new Map([['192.0.2.100', 'n1'], ['2001:db8::100', 'n1']]);
    const kept = assignEgressIPs(world(['n1', 'n2'], ['192.0.2.100', '2001:db8::100'], { previous }));
    assert.deepEqual([...kept.assignments].sort(), [['192.0.2.100', 'n1'], ['2001:db8::100', 'n1']]);
    assert.deepEqual(kept.moves, []);
    const failed = assignEgressIPs(world(['n1', 'n2'], ['192.0.2.100', '2001:db8::100'], { previous, health: new Map([['n1', false], ['n2', true]]) }));
    assert.deepEqual([...failed.assignments].sort(), [['192.0.2.100', 'n2'], ['2001:db8::100', 'n2']]);
    assert.deepEqual(failed.moves.map((m) => m.kind), ['failover', 'failover']);
  });
  it('counts both families against the node capacity', () => {
    const out = assignEgressIPs(world(['n1'], ['192.0.2.100', '2001:db8::100'], { nodes: [{ ...node('n1'), annotations: { [ANN]: '1' } }] }));
    assert.equal(out.assignments.size, 1);
    assert.equal(out.unassigned.length, 1);
  });
});
