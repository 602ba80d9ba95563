// Zones (issue 9): an IP of a zoned cidr is held only by nodes whose label under the pool's
// topologyKey is that zone — on first placement, when kept, and on failover.
import assert from 'node:assert/strict';
import { assignEgressIPs, type AssignInput, type AssignNode, type AssignPool } from './assign.js';

const ZONE = 'topology.kubernetes.io/zone';
const ANN = 'staticegress.io/max-egress-ips';

function node(name: string, zone: string | undefined, extra: Partial<AssignNode> = {}): AssignNode {
  return { name, labels: { gw: '', ...(zone ? { [ZONE]: zone } : {}) }, annotations: {}, ready: true, cordoned: false, ...extra };
}

const zonedPool: AssignPool = {
  name: 'lan',
  nodeSelector: { matchLabels: { gw: '' } },
  maxIPsPerNode: 8,
  cidrs: [{ cidr: '192.0.2.96/28', zone: 'a' }, { cidr: '192.0.2.112/28', zone: 'b' }],
};

function world(over: Partial<AssignInput> = {}): AssignInput {
  const nodes = over.nodes ?? [node('n1', 'a'), node('n2', 'b'), node('n3', 'a'), node('n4', 'b')];
  return {
    policies: [
      { key: 'shop/db', createdAt: 1, ips: [{ ip: '192.0.2.100', pool: 'lan' }, { ip: '192.0.2.116', pool: 'lan' }] },
      { key: 'shop/api', createdAt: 2, ips: [{ ip: '192.0.2.101', pool: 'lan' }, { ip: '192.0.2.102', pool: 'lan' }] },
    ],
    pools: [zonedPool],
    nodes,
    health: new Map(nodes.map((n) => [n.name, true])),
    previous: new Map(),
    capacityAnnotation: ANN,
    ...over,
  };
}

const zoneOfNode: Record<string, string> = { n1: 'a', n2: 'b', n3: 'a', n4: 'b' };

describe('assignEgressIPs with zones', () => {
  it('places each IP on a node of its zone, least loaded within the zone', () => {
    const out = assignEgressIPs(world());
    assert.deepEqual(Object.fromEntries(out.assignments), {
      '192.0.2.100': 'n1', '192.0.2.116': 'n2', '192.0.2.101': 'n3', '192.0.2.102': 'n1',
    });
    for (const [ip, n] of out.assignments) assert.equal(zoneOfNode[n], ip < '192.0.2.112' ? 'a' : 'b', `${ip} on ${n}`);
  });

  it('does not keep an IP on a node outside its zone (an explicit policy too): it moves into the zone', () => {
    const out = assignEgressIPs(world({ previous: new Map([['192.0.2.100', 'n2']]) }));
    // n2 is alive but out of zone: release first, then a later pass places it in zone a
    assert.equal(out.assignments.get('192.0.2.100'), undefined);
    assert.equal(out.releasing.get('192.0.2.100'), 'n2');
    const next = assignEgressIPs(world({ previous: out.assignments, releasing: new Map() }));
    assert.equal(zoneOfNode[next.assignments.get('192.0.2.100')!], 'a');
  });

  it('fails over only within the zone, and names the zone when no node of it can hold the IP', () => {
    const nodes = [node('n1', 'a'), node('n2', 'b'), node('n4', 'b')];
    const out = assignEgressIPs(world({ nodes, health: new Map([['n1', false], ['n2', true], ['n4', true]]), previous: new Map([['192.0.2.100', 'n1']]) }));
    assert.equal(out.assignments.get('192.0.2.100'), undefined);
    assert.deepEqual(out.unassigned.find((u) => u.ip === '192.0.2.100'), { ip: '192.0.2.100', policyKey: 'shop/db', reason: 'NoGatewayAvailable', zone: 'a' });
    assert.equal(out.assignments.get('192.0.2.116'), 'n2');
  });

  it('honours a custom topologyKey; a node without the label holds no zoned IP', () => {
    const pool = { ...zonedPool, topologyKey: 'example.com/rack' };
    const nodes = [node('r1', undefined, { labels: { gw: '', 'example.com/rack': 'a' } }), node('z1', 'a')];
    const out = assignEgressIPs(world({ pools: [pool], nodes, policies: [{ key: 'shop/db', createdAt: 1, ips: [{ ip: '192.0.2.100', pool: 'lan' }] }] }));
    assert.equal(out.assignments.get('192.0.2.100'), 'r1');
  });

  it('leaves pools without zones as before', () => {
    const pool: AssignPool = { name: 'lan', nodeSelector: { matchLabels: { gw: '' } }, maxIPsPerNode: 8, cidrs: [{ cidr: '192.0.2.96/27' }] };
    const out = assignEgressIPs(world({ pools: [pool], nodes: [node('n1', undefined), node('n2', 'b')] }));
    assert.equal(out.assignments.size, 4);
    assert.deepEqual(out.unassigned, []);
  });
});
