// Programmed for a dual-stack policy (issue 11): each family's held IPs are checked, and a director
// must redirect the pod's address of each family to the IP of that family it is pinned to.
import assert from 'node:assert/strict';
import { pinEgressIP, type PodInfo } from '@static-egress/crds';
import { computeProgrammed, type NodeReport } from './programmed.js';

const V4 = ['192.0.2.100'];
const V6 = ['2001:db8::100', '2001:db8::101'];
const assignments = new Map([['192.0.2.100', 'gw-1'], ['2001:db8::100', 'gw-1'], ['2001:db8::101', 'gw-2']]);
const pod: PodInfo = {
  key: 'shop/a', namespace: 'shop', name: 'a', uid: 'uid-a', labels: {}, nodeName: 'n1', podIP: '203.0.113.34',
  podIPs: ['203.0.113.34', '2001:db8:70::34'], phase: 'Running',
};
const v6Pinned = pinEgressIP(pod.uid, V6);

function reports(directed: NodeReport['directed']): Map<string, NodeReport> {
  return new Map([
    ['gw-1', { gatewayIPs: ['192.0.2.100', '2001:db8::100'], directed: [] }],
    ['gw-2', { gatewayIPs: ['2001:db8::101'], directed: [] }],
    ['n1', { gatewayIPs: [], directed }],
  ]);
}

const run = (r: Map<string, NodeReport>) => computeProgrammed({ policy: { assignments }, authorized: [...V4, ...V6], pods: [pod], reports: r });

describe('computeProgrammed, dual-stack (issue 11)', () => {
  it('True when the director redirects the IPv4 address to the IPv4 IP and the IPv6 one to the pinned IPv6 IP', () => {
    const c = run(reports([{ egressIP: '192.0.2.100', podIPs: ['203.0.113.34'] }, { egressIP: v6Pinned, podIPs: ['2001:db8:70::34'] }]));
    assert.equal(c.status, 'True', c.message);
  });
  it('False when the IPv6 redirect is missing, or redirects the IPv4 address to the IPv6 IP', () => {
    const missing = run(reports([{ egressIP: '192.0.2.100', podIPs: ['203.0.113.34'] }]));
    assert.equal(missing.status, 'False');
    assert.match(missing.message, new RegExp(`node n1 has no rule for pod shop/a to ${v6Pinned} yet`));
    const crossed = run(reports([{ egressIP: '192.0.2.100', podIPs: ['203.0.113.34'] }, { egressIP: v6Pinned, podIPs: ['203.0.113.34'] }]));
    assert.equal(crossed.status, 'False');
  });
});
