import assert from 'node:assert/strict';
import type { AuthorizedIP } from '@static-egress/crds';
import { computePoolStatus, poolCapacity, poolStatusChanged } from './pool-status.js';

describe('pool status', () => {
  it('capacity: all addresses of the cidrs minus the reserved ones inside them', () => {
    assert.equal(poolCapacity({ cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }] }), 31);
    assert.equal(poolCapacity({ cidrs: [{ cidr: '192.0.2.100/32', reserved: [] }, { cidr: '198.51.100.0/24', reserved: ['198.51.100.0', '198.51.100.255', '198.51.100.255'] }] }), 1 + 254);
    assert.equal(poolCapacity({ cidrs: [{ cidr: '0.0.0.0/0', reserved: [] }] }), 2 ** 31 - 1, 'clamped to the int32 the schema allows');
  });

  it('allocated: distinct authorized IPs of this pool; assigned: those a node holds', () => {
    const auth = new Map<string, AuthorizedIP[]>([
      ['shop/db', [{ ip: '192.0.2.100', pool: 'lan' }, { ip: '192.0.2.101', pool: 'lan' }]],
      ['shop/copycat', [{ ip: '192.0.2.100', pool: 'lan', problem: { reason: 'IPConflict', message: '' } }]],
      ['ops/other', [{ ip: '192.0.2.102', pool: 'other' }, { ip: '203.0.113.9', problem: { reason: 'IPNotAuthorized', message: '' } }]],
    ]);
    const s = computePoolStatus({
      pool: { name: 'lan', cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }] }, generation: 3, authorization: auth,
      assignments: new Map([['192.0.2.100', 'node-2'], ['192.0.2.102', 'node-3']]),
    });
    assert.deepEqual(s, { observedGeneration: 3, capacity: 31, allocated: 2, assigned: 1 });
  });

  it('changed only when a field it writes differs', () => {
    const s = { observedGeneration: 1, capacity: 31, allocated: 2, assigned: 1 };
    assert.equal(poolStatusChanged(undefined, s), true);
    assert.equal(poolStatusChanged({ ...s, conditions: [] }, s), false);
    assert.equal(poolStatusChanged({ ...s, assigned: 2 }, s), true);
  });
});
