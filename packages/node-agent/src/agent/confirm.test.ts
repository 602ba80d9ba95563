import assert from 'node:assert/strict';
import { confirmHeldFrom, egressIPsAssignedTo, policiesAssignedTo, type PolicyRef } from './confirm.js';

describe('egressIPsAssignedTo', () => {
  it('collects the IPs assigned to the node that the spec still lists', () => {
    const got = egressIPsAssignedTo('node-2', [
      { spec: { egressIPs: ['192.0.2.100', '192.0.2.101'] }, status: { assignments: [{ egressIP: '192.0.2.100', node: 'node-2' }, { egressIP: '192.0.2.101', node: 'node-3' }] } },
      { spec: { egressIPs: ['192.0.2.105'] }, status: { assignments: [{ egressIP: '192.0.2.104', node: 'node-2' }] } }, // removed from spec
      { spec: { egressIPs: ['192.0.2.106'] } }, // no status yet
    ] as never);
    assert.deepEqual([...got], ['192.0.2.100']);
  });
});

const pol = (namespace: string | undefined, name: string, ips: Record<string, string>) => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { egressIPs: Object.keys(ips) },
  status: { assignments: Object.entries(ips).map(([egressIP, node]) => ({ egressIP, node })) },
});

describe('policiesAssignedTo', () => {
  it('names only the policies whose status assigns the node an IP, namespaced or cluster-scoped', () => {
    const got = policiesAssignedTo('node-2', [
      pol('a', 'p1', { '192.0.2.100': 'node-2' }),
      pol('a', 'p2', { '192.0.2.101': 'node-3' }),
      pol(undefined, 'c1', { '192.0.2.102': 'node-3', '2001:db8::1': 'node-2' }),
      { metadata: { name: 'p3', namespace: 'a' }, spec: { egressIPs: ['192.0.2.103'] } },
    ] as never);
    assert.deepEqual(got, [{ namespace: 'a', name: 'p1' }, { name: 'c1' }]);
  });
});

describe('confirmHeldFrom', () => {
  // the API server's current objects (the cache may be stale)
  const api = new Map<string, ReturnType<typeof pol>>([
    ['a/p1', pol('a', 'p1', { '192.0.2.100': 'node-2' })],
    ['a/moved', pol('a', 'moved', { '192.0.2.101': 'node-3' })], // the cache still says node-2
    ['/c1', pol(undefined, 'c1', { '2001:db8::1': 'node-2' })],
    ['a/other', pol('a', 'other', { '192.0.2.110': 'node-9' })],
  ]);
  const key = (r: PolicyRef) => `${r.namespace ?? ''}/${r.name}`;

  it('reads only the policies named, confirms what the API assigns here now, and treats a deleted one as nothing', async () => {
    const read: string[] = [];
    const got = await confirmHeldFrom('node-2', [{ namespace: 'a', name: 'p1' }, { namespace: 'a', name: 'moved' }, { name: 'c1' }, { namespace: 'a', name: 'gone' }],
      async (r) => { read.push(key(r)); return api.get(key(r)); }, 2);
    assert.deepEqual([...got].sort(), ['192.0.2.100', '2001:db8::1']);
    assert.deepEqual(read.sort(), ['/c1', 'a/gone', 'a/moved', 'a/p1']); // never a/other: no list of the cluster
  });

  it('with nothing held it reads nothing; a failed read fails the confirmation', async () => {
    assert.deepEqual([...await confirmHeldFrom('node-2', [], async () => { throw new Error('no read expected'); })], []);
    await assert.rejects(confirmHeldFrom('node-2', [{ name: 'c1' }], async () => { throw new Error('HTTP 500'); }), /HTTP 500/);
  });
});
