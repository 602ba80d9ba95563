// Issue 9 point 6: a claim of a pool CIDR's network or broadcast address is Ready=False, says why
// once as an Event, and is not a conflict with anyone.
import assert from 'node:assert/strict';
import { authorizeEgressIPs, type Policy, type StaticEgressIPStatus } from '@static-egress/crds';
import { computePolicyStatus } from './status.js';

const T0 = new Date('2025-01-01T00:00:00Z');
const policy: Policy = {
  key: 'shop/db', namespace: 'shop', name: 'db', uid: 'u1', generation: 2, createdAt: 1, egressIPs: ['192.0.2.255', '192.0.2.10'],
  destinationCIDRs: ['0.0.0.0/0'], excludedCIDRs: [], assignments: new Map(),
};
const cond = (s: StaticEgressIPStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('computePolicyStatus: network and broadcast addresses (issue 9 point 6)', () => {
  const authorization = authorizeEgressIPs([policy], [{ name: 'lan', cidrs: [{ cidr: '192.0.2.0/24', reserved: [] }], maxIPsPerNode: 8 }], new Map(), new Set()).get('shop/db')!;
  const input = {
    policy: { key: 'shop/db', generation: 2 }, current: undefined, authorization,
    assignments: new Map([['192.0.2.10', 'n1'], ['192.0.2.255', 'n2']]), unassigned: [], moves: [], podConflicts: [], now: T0,
  };

  it('Ready=False IPNotUsable naming the address and the CIDR; only the host address is assigned', () => {
    const { status } = computePolicyStatus(input);
    const ready = cond(status, 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'IPNotUsable']);
    assert.match(ready.message, /^egress IP 192\.0\.2\.255 is the broadcast address of 192\.0\.2\.0\/24 in EgressIPPool lan/);
    assert.deepEqual(status.assignments, [{ egressIP: '192.0.2.10', node: 'n1' }], 'an assignment of the broadcast address is never reported');
    assert.deepEqual([cond(status, 'Conflict')?.status, cond(status, 'Conflict')?.reason], ['False', 'NoConflict']);
  });

  it('one EgressIPNotUsable Warning when it first appears, none on the next pass', () => {
    const first = computePolicyStatus(input);
    assert.deepEqual(first.events.filter((e) => e.type === 'Warning').map((e) => e.reason), ['EgressIPNotUsable']);
    const again = computePolicyStatus({ ...input, current: first.status });
    assert.deepEqual(again.events, []);
  });
});
