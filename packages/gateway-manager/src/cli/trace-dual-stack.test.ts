// `kubectl egress trace` for a dual-stack pod (issue 11): a packet is of one family — the pod's
// address, the egress IPs it may be pinned to and the agents' reports are of the destination's family.
import assert from 'node:assert/strict';
import { parsePolicy, pinEgressIP, type PodInfo, type StaticEgressIP } from '@static-egress/crds';
import { computeTrace, type TraceInput } from './trace.js';

const pod: PodInfo = {
  key: 'shop/web-1', namespace: 'shop', name: 'web-1', uid: 'uid-web-1', labels: { app: 'web' },
  nodeName: 'node-1', podIP: '203.0.113.34', podIPs: ['203.0.113.34', '2001:db8:70::34'], phase: 'Running',
};

function policy(egressIPs: string[], held: Record<string, string>): StaticEgressIP {
  return {
    metadata: { namespace: 'shop', name: 'db', uid: 'uid-db', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' as unknown as Date },
    spec: { egressIPs, podSelector: { matchLabels: { app: 'web' } } },
    status: { assignments: Object.entries(held).map(([egressIP, node]) => ({ egressIP, node })) },
  };
}

const V4 = ['192.0.2.100', '192.0.2.101'];
const V6 = ['2001:db8::100', '2001:db8::101'];
const HELD = { '192.0.2.100': 'node-2', '192.0.2.101': 'node-3', '2001:db8::100': 'node-3', '2001:db8::101': 'node-2' };
const dual = policy([...V4, ...V6], HELD);

function trace(destination: string, over: Partial<TraceInput> = {}, objects = [dual]) {
  return computeTrace({ pod, destination, policies: objects.map(parsePolicy), services: [], ...over });
}

describe('computeTrace, dual-stack (issue 11)', () => {
  it('an IPv6 destination: the pod\'s IPv6 address, pinned among the IPv6 egress IPs only', () => {
    const ip = pinEgressIP(pod.uid, V6);
    const r = trace('2001:db8:99::1');
    assert.equal(r.outcome, 'egress-ip');
    assert.equal(r.egressIP, ip);
    assert.equal(r.gateway, HELD[ip as keyof typeof HELD]);
    assert.match(r.steps[0]![1], /shop\/web-1 \(2001:db8:70::34 on node-1\)/);
    assert.match(r.steps.find(([k]) => k === 'destination')![1], /matches destinationCIDRs ::\/0/);
  });
  it('an IPv4 destination: the IPv4 address and egress IPs, as before', () => {
    const r = trace('198.51.100.10');
    assert.equal(r.egressIP, pinEgressIP(pod.uid, V4));
    assert.match(r.steps[0]![1], /203\.0\.113\.34 on node-1/);
  });
  it('the director report is read for the pod\'s address of the family', () => {
    const ip = pinEgressIP(pod.uid, V6);
    const gw = HELD[ip as keyof typeof HELD];
    const reports = new Map([[gw, { gatewayIPs: [ip], directed: [] }], ['node-1', { gatewayIPs: [], directed: [{ egressIP: ip, podIPs: ['2001:db8:70::34'] }] }]]);
    const r = trace('2001:db8:99::1', { reports });
    assert.equal(r.outcome, 'egress-ip', r.verdict);
    assert.match(r.steps.at(-1)![1], /director node-1: redirects 2001:db8:70::34 to 2001:db8::10[01]/);
  });
  it('an IPv4-only policy leaves IPv6 traffic alone; an IPv4-only pod cannot reach an IPv6 destination', () => {
    const v4only = trace('2001:db8:99::1', {}, [policy(V4, HELD)]);
    assert.equal(v4only.outcome, 'node-ip');
    assert.match(v4only.verdict, /no policy matches 2001:db8:99::1 \(shop\/db covers 0\.0\.0\.0\/0\)/);
    const r = trace('2001:db8:99::1', { pod: { ...pod, podIPs: ['203.0.113.34'] } });
    assert.equal(r.verdict, 'leaves with the node IP: shop/web-1 has no IPv6 address');
  });
  it('only the family\'s authorization counts: IPv6 IPs all unauthorized means no usable IPv6 egress IP', () => {
    const authorization = new Map([['shop/db', [
      ...V4.map((ip) => ({ ip, pool: 'p' })),
      ...V6.map((ip) => ({ ip, problem: { reason: 'IPNotAuthorized', message: 'no pool' } })),
    ]]]);
    const r = trace('2001:db8:99::1', { authorization });
    assert.equal(r.outcome, 'node-ip');
    assert.match(r.verdict, /has no usable IPv6 egress IP \(2001:db8::100: IPNotAuthorized; 2001:db8::101: IPNotAuthorized\)/);
    assert.equal(trace('198.51.100.10', { authorization }).outcome, 'egress-ip');
  });
});
