// kubectl egress trace with zones (issue 9): the pod pins among the IPs held in its node's zone, as
// the agents do, and the step says so.
import assert from 'node:assert/strict';
import { parsePolicy, pinEgressIP, type PodInfo } from '@static-egress/crds';
import { computeTrace } from './trace.js';

const pod: PodInfo = { key: 'shop/web-1', namespace: 'shop', name: 'web-1', uid: 'uid-web-1', labels: {}, nodeName: 'node-b', podIP: '203.0.113.34', phase: 'Running' };
const IPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];
const db = parsePolicy({
  metadata: { namespace: 'shop', name: 'db', uid: 'uid-db', generation: 1 },
  spec: { egressIPs: IPS },
  status: { assignments: [{ egressIP: '192.0.2.100', node: 'gw-a' }, { egressIP: '192.0.2.101', node: 'gw-b' }, { egressIP: '192.0.2.102', node: 'gw-c' }] },
});

describe('computeTrace with zones', () => {
  for (const near of ['192.0.2.100', '192.0.2.101', '192.0.2.102']) {
    it(`pins to ${near} when it is the IP held in the pod's zone`, () => {
      const r = computeTrace({ pod, destination: '198.51.100.10', policies: [db], services: [], nearIPs: (n) => (n === 'node-b' ? (ip) => ip === near : undefined) });
      assert.equal(r.egressIP, near);
      assert.match(r.steps.find((s) => s[0] === 'egress IP')![1], new RegExp(`among the IPs held in the zone of node-b ${near.replaceAll('.', '\\.')}`));
    });
  }

  it('keeps the zone-free pin when its zone holds none', () => {
    const r = computeTrace({ pod, destination: '198.51.100.10', policies: [db], services: [], nearIPs: () => () => false });
    assert.equal(r.egressIP, pinEgressIP(pod.uid, IPS));
    assert.match(r.steps.find((s) => s[0] === 'egress IP')![1], /among the held IPs/);
  });
});
