import assert from 'node:assert/strict';
import { computeStandbyRing, computeStandbys } from './standby-ring.js';

describe('computeStandbys (issue 16 §1: one ring for the agents and the manager)', () => {
  const ring = ['n1', 'n2', 'n3', 'n4', 'n5'];

  it('takes perIP nodes from a stable start on the ring, the holder skipped', () => {
    const all = computeStandbys(ring, '192.0.2.100', undefined, 5);
    assert.equal(new Set(all).size, 5, 'every node once');
    const holder = all[0]!;
    assert.deepEqual(computeStandbys(ring, '192.0.2.100', holder, 2), all.slice(1, 3));
    assert.deepEqual(computeStandbys(ring, '192.0.2.100', undefined), all.slice(0, 2), 'default: 2');
    assert.deepEqual(computeStandbys([...ring], '192.0.2.100', holder, 2), computeStandbys(ring, '192.0.2.100', holder, 2), 'stable');
  });

  it('spreads the IPs: each node stands by for some of 100 IPs', () => {
    const count = new Map<string, number>();
    for (let i = 0; i < 100; i++) for (const n of computeStandbys(ring, `198.51.100.${i}`, undefined)) count.set(n, (count.get(n) ?? 0) + 1);
    for (const n of ring) assert.ok((count.get(n) ?? 0) >= 20, `${n}: ${count.get(n)}`);
  });

  it('none for an empty ring or perIP 0; fewer where the ring is short', () => {
    assert.deepEqual(computeStandbys([], '192.0.2.1', undefined), []);
    assert.deepEqual(computeStandbys(ring, '192.0.2.1', undefined, 0), []);
    assert.deepEqual(computeStandbys(['n1'], '192.0.2.1', 'n1'), []);
  });
});

describe('computeStandbyRing', () => {
  it('the nodes that may hold an IP of the pool in the zone, whatever their probes, in name order', () => {
    const node = (name: string, labels: Record<string, string>, o: { ready?: boolean; cordoned?: boolean; deleted?: boolean } = {}) =>
      ({ name, labels, ready: o.ready ?? true, cordoned: o.cordoned ?? false, ...(o.deleted ? { deleted: true } : {}) });
    const gw = { 'staticegress.io/gateway': '', 'topology.kubernetes.io/zone': 'a' };
    const nodes = [
      node('n3', gw), node('n1', gw), node('n2', { ...gw, 'topology.kubernetes.io/zone': 'b' }), node('n4', {}),
      node('n5', gw, { ready: false }), node('n6', gw, { cordoned: true }), node('n7', gw, { deleted: true }),
    ];
    const pool = { nodeSelector: { matchLabels: { 'staticegress.io/gateway': '' } } };
    assert.deepEqual(computeStandbyRing(nodes, pool, 'a'), ['n1', 'n3']);
    assert.deepEqual(computeStandbyRing(nodes, pool, undefined), ['n1', 'n2', 'n3']);
    assert.deepEqual(computeStandbyRing(nodes, {}, 'b'), ['n2']);
  });
});
