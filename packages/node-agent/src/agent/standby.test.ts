import assert from 'node:assert/strict';
import type { NodeInfo, Pool } from '@static-egress/crds';
import { computeStandby, type StandbyView } from './standby.js';

const node = (name: string, over: Partial<NodeInfo> = {}): NodeInfo => ({
  name, labels: { gw: 'yes', zone: name === 'n5' ? 'b' : 'a' }, annotations: {}, ready: true, cordoned: false, deleted: false, addresses: [], ...over,
});
const pool = (over: Partial<Pool> = {}): Pool => ({ name: 'p', cidrs: [{ cidr: '192.0.2.96/27', reserved: [] }], nodeSelector: { matchLabels: { gw: 'yes' } }, maxIPsPerNode: 8, ...over });

function view(nodes: NodeInfo[], ips: string[], holder: string | undefined, pools = [pool()]): StandbyView {
  return {
    nodes, pools,
    policies: [{ key: 'ns/a', assignments: new Map(holder ? ips.map((ip) => [ip, holder]) : []) } as StandbyView['policies'][number]],
    authorization: new Map([['ns/a', ips.map((ip) => ({ ip, pool: pools[0]!.name }))]]),
  };
}

const standbys = (v: StandbyView, ip: string) => v.nodes.filter((n) => computeStandby(v, n.name)?.(ip)).map((n) => n.name);

describe('computeStandby', () => {
  const five = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n));

  it('two standbys per IP among the eligible nodes, never the holder', () => {
    for (let i = 100; i < 120; i++) {
      const ip = `192.0.2.${i}`;
      const got = standbys(view(five, [ip], 'n1'), ip);
      assert.equal(got.length, 2, ip);
      assert.ok(!got.includes('n1'), ip);
    }
  });

  it('spreads over the nodes (each IP its own start on the ring)', () => {
    const ips = Array.from({ length: 30 }, (_, i) => `192.0.2.${100 + i}`);
    const v = view(five, ips, 'n1');
    const count = new Map<string, number>();
    for (const ip of ips) for (const n of standbys(v, ip)) count.set(n, (count.get(n) ?? 0) + 1);
    assert.ok([...count.keys()].length >= 3, JSON.stringify([...count]));
  });

  it('only nodes the pool admits, in the IP\'s zone, Ready and not cordoned; unassigned IPs too', () => {
    const nodes = [node('n1'), node('n2', { cordoned: true }), node('n3', { ready: false }), node('n4', { labels: {} }), node('n5')];
    const ip = '192.0.2.100';
    assert.deepEqual(standbys(view(nodes, [ip], undefined), ip), ['n1', 'n5']);
    const zoned = [pool({ cidrs: [{ cidr: '192.0.2.96/28', zone: 'a', reserved: [] }, { cidr: '192.0.2.112/28', zone: 'b', reserved: [] }], topologyKey: 'zone' })];
    assert.deepEqual(standbys(view(five, [ip], 'n1', zoned), ip).every((n) => n !== 'n5'), true);
    assert.deepEqual(standbys(view(five, ['192.0.2.120'], undefined, zoned), '192.0.2.120'), ['n5']);
  });

  it('none for an unauthorized IP, an unknown node, or perIP 0', () => {
    const v = view(five, ['192.0.2.100'], 'n1');
    assert.equal(computeStandby(v, 'n2')!('192.0.2.101'), false);
    assert.equal(computeStandby(v, 'nx'), undefined);
    assert.equal(computeStandby(v, 'n2', 0), undefined);
  });
});
