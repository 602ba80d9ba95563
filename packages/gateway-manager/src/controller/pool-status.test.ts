import assert from 'node:assert/strict';
import type { AuthorizedIP } from '@static-egress/crds';
import { computePoolStatus, poolCapacity, poolStatusChanged } from './pool-status.js';

describe('pool status', () => {
  it('capacity: the host addresses of the cidrs minus the reserved ones among them', () => {
    const cases: [cidrs: { cidr: string; reserved: string[] }[], want: number, why: string][] = [
      [[{ cidr: '192.0.2.0/24', reserved: [] }], 254, 'network .0 and broadcast .255 are not usable'],
      [[{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }], 30, 'reserving the network address changes nothing'],
      [[{ cidr: '192.0.2.96/27', reserved: ['192.0.2.100', '192.0.2.127'] }], 29, 'one host reserved; the broadcast was never usable'],
      [[{ cidr: '198.51.100.0/24', reserved: ['198.51.100.0', '198.51.100.255', '198.51.100.255'] }], 254, 'reserved ends are not counted twice'],
      [[{ cidr: '192.0.2.100/32', reserved: [] }, { cidr: '198.51.100.8/31', reserved: [] }], 1 + 2, '/32 and /31 have no network or broadcast (RFC 3021)'],
      [[{ cidr: '192.0.2.100/32', reserved: ['192.0.2.100'] }], 0, 'a reserved /32 leaves nothing'],
      [[{ cidr: '203.0.113.4/30', reserved: [] }], 2, '/30: two hosts'],
      [[{ cidr: '0.0.0.0/0', reserved: [] }], 2 ** 31 - 1, 'clamped to the int32 the schema allows'],
      // issue 11: IPv6 has no broadcast; its first address, the subnet-router anycast one, is not usable
      [[{ cidr: '2001:db8::/120', reserved: ['2001:db8::', '2001:db8::1'] }], 254, 'IPv6 /120: 256 - anycast - one reserved'],
      [[{ cidr: '2001:db8::/127', reserved: [] }, { cidr: '2001:db8:1::/128', reserved: [] }], 3, '/127 and /128: every address'],
      [[{ cidr: '192.0.2.0/24', reserved: [] }, { cidr: '2001:db8::/126', reserved: [] }], 254 + 3, 'both families add up'],
      [[{ cidr: '2001:db8::/64', reserved: [] }], 2 ** 31 - 1, 'an IPv6 /64 (2^64 - 1) saturates at int32'],
      [[{ cidr: '2001:db8::/64', reserved: [] }, { cidr: '192.0.2.0/24', reserved: [] }], 2 ** 31 - 1, 'exactly, however large the sum'],
    ];
    for (const [cidrs, want, why] of cases) assert.equal(poolCapacity({ cidrs }), want, why);
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
    assert.deepEqual(s, { observedGeneration: 3, capacity: 30, allocated: 2, assigned: 1 });
  });

  it('changed only when a field it writes differs', () => {
    const s = { observedGeneration: 1, capacity: 31, allocated: 2, assigned: 1 };
    assert.equal(poolStatusChanged(undefined, s), true);
    assert.equal(poolStatusChanged({ ...s, conditions: [] }, s), false);
    assert.equal(poolStatusChanged({ ...s, assigned: 2 }, s), true);
  });
});
