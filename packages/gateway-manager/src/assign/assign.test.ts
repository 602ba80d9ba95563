import assert from 'node:assert/strict';
import { assignEgressIPs, type AssignInput, type AssignNode } from './assign.js';
import { compareIPs, computeStandbys } from '@static-egress/crds';

const ANN = 'staticegress.io/max-egress-ips';

function node(name: string, extra: Partial<AssignNode> = {}): AssignNode {
  return { name, labels: { gw: '' }, annotations: {}, ready: true, cordoned: false, ...extra };
}

function world(over: Partial<AssignInput> = {}): AssignInput {
  const nodes = over.nodes ?? [node('a'), node('b'), node('c')];
  return {
    policies: [
      { key: 'shop/db', createdAt: 1, ips: [{ ip: '192.0.2.100', pool: 'lan' }, { ip: '192.0.2.101', pool: 'lan' }] },
      { key: 'shop/api', createdAt: 2, ips: [{ ip: '192.0.2.102', pool: 'lan' }] },
    ],
    pools: [{ name: 'lan', nodeSelector: { matchLabels: { gw: '' } }, maxIPsPerNode: 8 }],
    nodes,
    health: new Map(nodes.map((n) => [n.name, true])),
    previous: new Map(),
    capacityAnnotation: ANN,
    ...over,
  };
}

describe('assignEgressIPs', () => {
  it('spreads IPs least-loaded first, ties by node name', () => {
    const out = assignEgressIPs(world());
    assert.deepEqual([...out.assignments], [['192.0.2.100', 'a'], ['192.0.2.101', 'b'], ['192.0.2.102', 'c']]);
    assert.deepEqual(out.unassigned, []);
    assert.deepEqual(out.moves.map((m) => m.kind), ['new', 'new', 'new']);
  });

  it('keeps a valid assignment even when another node is less loaded', () => {
    const out = assignEgressIPs(world({ previous: new Map([['192.0.2.100', 'c'], ['192.0.2.102', 'c']]) }));
    assert.equal(out.assignments.get('192.0.2.100'), 'c');
    assert.equal(out.assignments.get('192.0.2.102'), 'c');
    assert.equal(out.assignments.get('192.0.2.101'), 'a');
    assert.deepEqual(out.moves.map((m) => m.ip), ['192.0.2.101']);
  });

  it('never puts two IPs of one policy on the same node, even if that leaves one unassigned', () => {
    const out = assignEgressIPs(world({ nodes: [node('a')] }));
    assert.equal(out.assignments.get('192.0.2.100'), 'a');
    assert.equal(out.assignments.get('192.0.2.102'), 'a');
    assert.deepEqual(out.unassigned, [{ ip: '192.0.2.101', policyKey: 'shop/db', reason: 'NoGatewayAvailable' }]);
  });

  it('fails over at once from an unhealthy (probe failing, NotReady or not) or deleted holder', () => {
    const prev = new Map([['192.0.2.100', 'a'], ['192.0.2.101', 'b'], ['192.0.2.102', 'c']]);
    const nodes = [node('a'), node('b', { ready: false }), node('c'), node('d')];
    const health = new Map([['a', false], ['b', false], ['c', true], ['d', true]]);
    const out = assignEgressIPs(world({ nodes, health, previous: prev }));
    assert.equal(out.assignments.get('192.0.2.102'), 'c');
    // each moved IP goes to its first standby that may take it (crds computeStandbys over the ring
    // a, c, d — b is NotReady): 100's are c, d; 101's are d, a (a is failing)
    assert.deepEqual(computeStandbys(['a', 'c', 'd'], '192.0.2.100', 'a'), ['c', 'd']);
    assert.deepEqual(computeStandbys(['a', 'c', 'd'], '192.0.2.101', 'b'), ['d', 'a']);
    assert.equal(out.assignments.get('192.0.2.100'), 'c');
    assert.equal(out.assignments.get('192.0.2.101'), 'd');
    assert.deepEqual(out.moves.map((m) => [m.ip, m.from, m.to, m.kind]), [
      ['192.0.2.100', 'a', 'c', 'failover'],
      ['192.0.2.101', 'b', 'd', 'failover'],
    ]);
    assert.equal(out.releasing.size, 0);
    const gone = assignEgressIPs(world({ nodes: [node('a'), node('c'), node('d')], health: new Map([['c', true], ['d', true]]), previous: prev }));
    assert.ok(['c', 'd'].includes(gone.assignments.get('192.0.2.101')!), 'a deleted holder (no Node) loses its IP at once');
    assert.equal(gone.releasing.size, 0);
  });

  it('a NotReady holder whose agent still answers releases first (it would keep announcing the IP meanwhile)', () => {
    const prev = new Map([['192.0.2.100', 'a'], ['192.0.2.101', 'b'], ['192.0.2.102', 'c']]);
    const nodes = [node('a'), node('b', { ready: false }), node('c'), node('d')];
    const health = new Map([['a', true], ['b', true], ['c', true], ['d', true]]);
    const out = assignEgressIPs(world({ nodes, health, previous: prev }));
    assert.equal(out.assignments.has('192.0.2.101'), false);
    assert.deepEqual([...out.releasing], [['192.0.2.101', 'b']]);
    assert.deepEqual(out.unassigned.map((u) => [u.ip, u.reason]), [['192.0.2.101', 'Draining']]);
    const after = assignEgressIPs(world({ nodes, health, previous: out.assignments }));
    assert.notEqual(after.assignments.get('192.0.2.101'), 'b', 'once released it is placed elsewhere, never back on the NotReady node');
  });

  it('drains a cordoned node in two phases: release first, claim after the release is confirmed', () => {
    const prev = new Map([['192.0.2.100', 'a'], ['192.0.2.101', 'b'], ['192.0.2.102', 'c']]);
    const nodes = [node('a', { cordoned: true }), node('b'), node('c')];
    const first = assignEgressIPs(world({ nodes, previous: prev }));
    assert.equal(first.assignments.has('192.0.2.100'), false);
    assert.deepEqual(first.unassigned, [{ ip: '192.0.2.100', policyKey: 'shop/db', reason: 'Draining', node: 'a' }]);
    assert.deepEqual([...first.releasing], [['192.0.2.100', 'a']]);

    // Not confirmed yet: still nobody claims it.
    const waiting = assignEgressIPs(world({ nodes, previous: first.assignments, releasing: first.releasing }));
    assert.equal(waiting.assignments.has('192.0.2.100'), false);
    assert.deepEqual([...waiting.releasing], [['192.0.2.100', 'a']]);

    // Confirmed (the caller drops the entry): placed on c, the only node without a db IP.
    const done = assignEgressIPs(world({ nodes, previous: waiting.assignments, releasing: new Map() }));
    assert.equal(done.assignments.get('192.0.2.100'), 'c');
    assert.deepEqual(done.moves, [{ ip: '192.0.2.100', policyKey: 'shop/db', to: 'c', kind: 'new' }]);
  });

  it('claims an IP still being released once the releasing node dies', () => {
    const nodes = [node('a', { cordoned: true }), node('b')];
    const out = assignEgressIPs(world({
      nodes,
      health: new Map([['a', false], ['b', true]]),
      releasing: new Map([['192.0.2.100', 'a']]),
      policies: [{ key: 'shop/db', createdAt: 1, ips: [{ ip: '192.0.2.100', pool: 'lan' }] }],
    }));
    assert.equal(out.assignments.get('192.0.2.100'), 'b');
    assert.deepEqual(out.moves, [{ ip: '192.0.2.100', policyKey: 'shop/db', from: 'a', to: 'b', kind: 'handover' }]);
  });

  it('the capacity annotation only lowers the pool limit; older policies keep capacity first', () => {
    const nodes = [node('a', { annotations: { [ANN]: '1' } }), node('b', { annotations: { [ANN]: '50' } })];
    const pools = [{ name: 'lan', maxIPsPerNode: 1 }];
    const out = assignEgressIPs(world({ nodes, pools }));
    assert.deepEqual([...out.assignments], [['192.0.2.100', 'a'], ['192.0.2.101', 'b']]);
    assert.deepEqual(out.unassigned.map((u) => [u.policyKey, u.reason]), [['shop/api', 'NoGatewayAvailable']]);
  });

  it('does not place new IPs on nodes not probed yet, but lets them keep what they hold', () => {
    const health = new Map([['a', true]]);
    const prev = new Map([['192.0.2.102', 'c']]);
    const out = assignEgressIPs(world({ health, previous: prev }));
    assert.equal(out.assignments.get('192.0.2.102'), 'c');
    assert.equal(out.assignments.get('192.0.2.100'), 'a');
    assert.deepEqual(out.unassigned.map((u) => u.ip), ['192.0.2.101']);
  });

  it('keeps an IP no policy wants any more in releasing while its live holder has it', () => {
    const out = assignEgressIPs(world({ previous: new Map([['192.0.2.120', 'b']]) }));
    assert.equal(out.assignments.has('192.0.2.120'), false);
    assert.deepEqual([...out.releasing], [['192.0.2.120', 'b']]);
  });

  it('skips nodes outside the pool selector', () => {
    const nodes = [node('a', { labels: {} }), node('b')];
    const out = assignEgressIPs(world({ nodes, policies: [{ key: 'x/y', createdAt: 0, ips: [{ ip: '192.0.2.100', pool: 'lan' }] }] }));
    assert.deepEqual([...out.assignments], [['192.0.2.100', 'b']]);
  });
});

describe('compareIPs', () => {
  it('orders numerically, IPv4 before IPv6', () => {
    const ips = ['192.0.2.100', '::1', '192.0.2.99', '10.0.0.1', 'junk'];
    assert.deepEqual([...ips].sort(compareIPs), ['10.0.0.1', '192.0.2.99', '192.0.2.100', '::1', 'junk']);
  });
});
