import assert from 'node:assert/strict';
import { parseClusterView, type ClusterSnapshot } from '@static-egress/crds';
import { computeManagerGauges } from './gauges.js';

const node = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  metadata: { name, labels, annotations }, status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('computeManagerGauges', () => {
  it('pools: capacity, allocated, held; nodes: held and capacity (pools admitting it, lowered by the annotation)', () => {
    const snap: ClusterSnapshot = {
      pools: [
        { metadata: { name: 'a' }, spec: { cidrs: [{ cidr: '192.0.2.96/30', reserved: ['192.0.2.96'] }], nodeSelector: { matchLabels: { gw: 'a' } }, maxIPsPerNode: 4 } },
        { metadata: { name: 'b' }, spec: { cidrs: [{ cidr: '198.51.100.0/29' }], maxIPsPerNode: 2 } },
      ],
      policies: [{ metadata: { namespace: 'shop', name: 'db', creationTimestamp: '2025-01-01T00:00:00Z' as unknown as Date }, spec: { egressIPs: ['192.0.2.97', '192.0.2.98'] } }],
      nodes: [node('n1', { gw: 'a' }), node('n2', { gw: 'a' }, { 'staticegress.io/max-egress-ips': '1' }), node('n3', {})],
      pods: [], services: [], namespaces: [{ metadata: { name: 'shop' } }],
    };
    const g = computeManagerGauges(parseClusterView(snap), new Map([['192.0.2.97', 'n1']]));
    assert.deepEqual(g.pools, [
      { pool: 'a', capacity: 2, allocated: 2, held: 1 }, // .97 and .98: .96 is the network, .99 the broadcast
      { pool: 'b', capacity: 6, allocated: 0, held: 0 },
    ]);
    assert.deepEqual(g.nodes, [
      { node: 'n1', held: 1, capacity: 6 },
      { node: 'n2', held: 0, capacity: 1 },
      { node: 'n3', held: 0, capacity: 2 },
    ]);
  });
});
