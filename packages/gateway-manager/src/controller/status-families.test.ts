// Issue 11: a policy with egress IPs of one family leaves the other family's traffic alone and its
// Ready condition says so; a dual-stack policy's status lists both families' holders in address order.
import assert from 'node:assert/strict';
import type { AuthorizedIP } from '@static-egress/crds';
import { computePolicyStatus } from './status.js';

const T0 = new Date('2025-01-01T00:00:00Z');

function ready(ips: string[], assignments: [string, string][], destinationCIDRs?: string[]) {
  const authorization: AuthorizedIP[] = ips.map((ip) => ({ ip, pool: 'p' }));
  const { status } = computePolicyStatus({
    policy: { key: 'shop/db', generation: 1, ...(destinationCIDRs ? { destinationCIDRs } : {}) }, current: undefined, authorization, assignments: new Map(assignments),
    unassigned: [], moves: [], podConflicts: [], now: T0,
  });
  return { ready: status.conditions!.find((c) => c.type === 'Ready')!, status };
}

describe('computePolicyStatus: families (issue 11)', () => {
  it('an IPv4-only policy says its pods\' IPv6 traffic keeps the node address', () => {
    const { ready: r } = ready(['192.0.2.10'], [['192.0.2.10', 'n1']]);
    assert.equal(r.status, 'True');
    assert.match(r.message, /it has no IPv6 egress IP, so the selected pods' IPv6 traffic keeps the node's address$/);
  });
  it('an IPv6-only policy says the same of IPv4', () => {
    assert.match(ready(['2001:db8::10'], [['2001:db8::10', 'n1']]).ready.message, /no IPv4 egress IP, so the selected pods' IPv4 traffic keeps/);
  });
  it('a dual-stack policy says nothing of the kind; an IPv4 and an IPv6 IP on one node are both listed', () => {
    const { ready: r, status } = ready(['2001:db8::10', '192.0.2.10'], [['2001:db8::10', 'n1'], ['192.0.2.10', 'n1']]);
    assert.equal(r.message, 'every egress IP is authorized and held by a gateway node');
    assert.deepEqual(status.assignments, [{ egressIP: '192.0.2.10', node: 'n1' }, { egressIP: '2001:db8::10', node: 'n1' }]);
    assert.deepEqual(status.nodes, ['n1']);
  });
  it('a dual-stack policy with destinations of one family says the other family keeps the node address', () => {
    const both: [string, string][] = [['2001:db8::10', 'n1'], ['192.0.2.10', 'n1']];
    assert.match(ready(['2001:db8::10', '192.0.2.10'], both, ['198.51.100.0/24']).ready.message,
      /; it has IPv6 egress IPs but no IPv6 destinationCIDRs, so the selected pods' IPv6 traffic keeps the node's address$/);
    assert.equal(ready(['2001:db8::10', '192.0.2.10'], both, ['198.51.100.0/24', '::/0']).ready.message, 'every egress IP is authorized and held by a gateway node');
  });
});
