import assert from 'node:assert/strict';
import { egressIPsAssignedTo } from './confirm.js';

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
