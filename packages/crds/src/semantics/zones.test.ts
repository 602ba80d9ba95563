import assert from 'node:assert/strict';
import { parsePool } from './parse.js';
import { computeZonePreference, nodeInZone, poolZones, zoneOfIPIn } from './zones.js';
import type { AuthorizedIP, Pool } from './types.js';

const ZONE = 'topology.kubernetes.io/zone';

describe('pool zones', () => {
  const zoned = parsePool({
    metadata: { name: 'lan' },
    spec: { cidrs: [{ cidr: '192.0.2.96/28', zone: 'b' }, { cidr: '192.0.2.112/28', zone: 'a' }, { cidr: '198.51.100.0/28', zone: 'b' }] },
  });

  it('parses zones and defaults the topology key', () => {
    assert.equal(zoned.topologyKey, ZONE);
    assert.deepEqual(zoned.cidrs.map((c) => c.zone), ['b', 'a', 'b']);
    assert.deepEqual(poolZones(zoned), ['a', 'b']);
    const custom = parsePool({ metadata: { name: 'x' }, spec: { cidrs: [{ cidr: '192.0.2.0/28' }], topologyKey: 'example.com/rack' } });
    assert.equal(custom.topologyKey, 'example.com/rack');
    assert.deepEqual(poolZones(custom), []);
  });

  it('rejects a zone on some cidrs only, naming spec.cidrs', () => {
    assert.throws(
      () => parsePool({ metadata: { name: 'x' }, spec: { cidrs: [{ cidr: '192.0.2.0/28', zone: 'a' }, { cidr: '192.0.2.16/28' }] } }),
      /spec\.cidrs: either every entry has a zone or none does/,
    );
  });

  it('rejects a bad zone and a bad topology key', () => {
    for (const zone of ['', 'a b', 'z'.repeat(64), '-a', 7] as unknown as string[]) {
      assert.throws(() => parsePool({ metadata: { name: 'x' }, spec: { cidrs: [{ cidr: '192.0.2.0/28', zone }] } }), /spec\.cidrs\[0\]\.zone/);
    }
    for (const topologyKey of ['', 'a b', '/zone', 'a/b/c', 3] as unknown as string[]) {
      assert.throws(() => parsePool({ metadata: { name: 'x' }, spec: { cidrs: [{ cidr: '192.0.2.0/28' }], topologyKey } }), /spec\.topologyKey/);
    }
  });

  it('finds the zone of an IP', () => {
    const zoneOf = zoneOfIPIn(zoned);
    assert.equal(zoneOf('192.0.2.100'), 'b');
    assert.equal(zoneOf('192.0.2.120'), 'a');
    assert.equal(zoneOf('198.51.100.3'), 'b');
    assert.equal(zoneOf('203.0.113.1'), undefined);
    assert.equal(nodeInZone({ [ZONE]: 'a' }, ZONE, 'a'), true);
    assert.equal(nodeInZone({ [ZONE]: 'b' }, ZONE, 'a'), false);
    assert.equal(nodeInZone({}, ZONE, 'a'), false);
    assert.equal(nodeInZone({}, ZONE, undefined), true);
  });
});

describe('computeZonePreference', () => {
  const pool: Pool = { name: 'lan', cidrs: [{ cidr: '192.0.2.96/27', reserved: [] }], maxIPsPerNode: 8 };
  const nodes: { name: string; labels: Record<string, string> }[] = [
    { name: 'gw-a', labels: { [ZONE]: 'a' } },
    { name: 'gw-b', labels: { [ZONE]: 'b' } },
    { name: 'pod-a', labels: { [ZONE]: 'a' } },
    { name: 'no-zone', labels: {} },
  ];
  const auth = (ips: string[]): AuthorizedIP[] => ips.map((ip) => ({ ip, pool: 'lan' }));
  const view = {
    nodes,
    pools: [pool],
    policies: [{ key: 'shop/db', assignments: new Map([['192.0.2.100', 'gw-a'], ['192.0.2.101', 'gw-b']]) }],
    authorization: new Map([['shop/db', [...auth(['192.0.2.100', '192.0.2.101', '192.0.2.102'])]]]),
  };

  it('prefers the IPs held in the pod node\'s zone', () => {
    const near = computeZonePreference(view)('pod-a')!;
    assert.deepEqual(['192.0.2.100', '192.0.2.101', '192.0.2.102'].filter(near), ['192.0.2.100']);
  });

  it('has no preference for a pod without a node, and prefers nothing for a node without a zone', () => {
    const pref = computeZonePreference(view);
    assert.equal(pref(undefined), undefined);
    assert.deepEqual(['192.0.2.100', '192.0.2.101'].filter(pref('no-zone')!), []);
  });

  it('ignores IPs with an authorization problem', () => {
    const bad = { ...view, authorization: new Map([['shop/db', [{ ip: '192.0.2.100', pool: 'lan', problem: { reason: 'IPConflict', message: '' } }]]]) };
    assert.equal(computeZonePreference(bad)('pod-a')!('192.0.2.100'), false);
  });
});
