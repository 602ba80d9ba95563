import assert from 'node:assert/strict';
import { parsePolicy, pinEgressIP, type PodInfo, type StaticEgressIP } from '@static-egress/crds';
import { computeTrace, TraceError, type NodeReport, type TraceInput } from './trace.js';

const pod: PodInfo = {
  key: 'shop/web-1', namespace: 'shop', name: 'web-1', uid: 'uid-web-1', labels: { app: 'web' },
  nodeName: 'node-1', podIP: '203.0.113.34', phase: 'Running',
};

function policy(name: string, spec: StaticEgressIP['spec'], held: Record<string, string> = {}, created = '2025-01-01T00:00:00Z'): StaticEgressIP {
  return {
    metadata: { namespace: 'shop', name, uid: `uid-${name}`, generation: 1, creationTimestamp: created as unknown as Date },
    spec,
    status: { assignments: Object.entries(held).map(([egressIP, node]) => ({ egressIP, node })) },
  };
}

const IPS = ['192.0.2.100', '192.0.2.101'];
const db = policy('db', { egressIPs: IPS, podSelector: { matchLabels: { app: 'web' } }, destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: ['198.51.100.20/32'] },
  { '192.0.2.100': 'node-3', '192.0.2.101': 'node-2' });
const pinned = pinEgressIP(pod.uid, IPS);
const holder = pinned === '192.0.2.100' ? 'node-3' : 'node-2';

function input(over: Partial<TraceInput> = {}, objects: StaticEgressIP[] = [db]): TraceInput {
  return { pod, destination: '198.51.100.10', policies: objects.map(parsePolicy), services: [], ...over };
}

function reports(gatewayIPs: string[], directed: NodeReport['directed']): Map<string, NodeReport> {
  return new Map([[holder, { gatewayIPs, directed: [] }], ['node-1', { gatewayIPs: [], directed }]]);
}

describe('computeTrace', () => {
  it('a selected pod leaves as its pinned IP via the node holding it', () => {
    const r = computeTrace(input({ reports: reports([pinned], [{ egressIP: pinned, podIPs: [pod.podIP!] }]) }));
    assert.equal(r.verdict, `leaves as ${pinned} via ${holder}`);
    assert.equal(r.outcome, 'egress-ip');
    assert.deepEqual(r.steps.map((s) => s[0]), ['pod', 'policy', 'destination', 'egress IP', 'gateway', 'kernel']);
    assert.match(r.steps[1]![1], /shop\/db selects it by podSelector app=web/);
    assert.match(r.steps[5]![1], new RegExp(`director node-1: redirects 203\\.0\\.113\\.34 to ${pinned.replaceAll('.', '\\.')}`));
  });

  it('without the agents\' reports the verdict follows the status and says so', () => {
    const r = computeTrace(input());
    assert.equal(r.outcome, 'egress-ip');
    assert.match(r.steps.at(-1)![1], /reports not readable/);
  });

  it('an unselected pod leaves with the node IP', () => {
    const r = computeTrace(input({ pod: { ...pod, labels: { app: 'other' } } }));
    assert.equal(r.verdict, 'leaves with the node IP: no policy in shop selects web-1');
    assert.equal(r.outcome, 'node-ip');
  });

  it('a destination outside the policy leaves with the node IP, naming what the policy covers', () => {
    assert.equal(computeTrace(input({ destination: '8.8.8.8' })).verdict,
      'leaves with the node IP: no policy matches 8.8.8.8 (shop/db covers 198.51.100.0/24)');
    assert.equal(computeTrace(input({ destination: '198.51.100.20' })).verdict,
      'leaves with the node IP: shop/db excludes 198.51.100.20 (excludedCIDRs 198.51.100.20/32)');
  });

  it('a policy with no gateway drops the packet (fail-closed)', () => {
    const none = policy('db', db.spec, {});
    const r = computeTrace(input({}, [none]));
    assert.equal(r.verdict, `dropped: no gateway holds ${pinned} (fail-closed)`);
    assert.equal(r.outcome, 'dropped');
  });

  it('pins over the held IPs only, as the agents do', () => {
    const one = policy('db', db.spec, { '192.0.2.101': 'node-2' });
    assert.equal(computeTrace(input({}, [one])).verdict, 'leaves as 192.0.2.101 via node-2');
  });

  it('an agent that has not programmed it yet makes the verdict say which node', () => {
    const r = computeTrace(input({ reports: reports([], [{ egressIP: pinned, podIPs: [pod.podIP!] }]) }));
    assert.equal(r.verdict, `not programmed yet: ${holder} does not hold ${pinned}`);
    const d = computeTrace(input({ reports: reports([pinned], []) }));
    assert.equal(d.verdict, `not programmed yet: node-1 does not redirect 203.0.113.34 to ${pinned}`);
  });

  it('per destination: the most specific of the pod\'s policies applies, the others are named with why', () => {
    const young = policy('young', { egressIPs: ['192.0.2.110'] }, { '192.0.2.110': 'node-9' }, '2025-06-01T00:00:00Z');
    const r = computeTrace(input({}, [young, db]));
    assert.match(r.steps[1]![1], /shop\/db selects it .*shop\/young select the pod too/);
    assert.match(r.steps[2]![1], /198\.51\.100\.10 matches destinationCIDRs 198\.51\.100\.0\/24 of shop\/db, the most specific: shop\/young matches only 0\.0\.0\.0\/0/);
    assert.equal(r.gateway, holder);
    // elsewhere, and where db excludes the destination, the younger, less specific policy applies
    assert.equal(computeTrace(input({ destination: '8.8.8.8' }, [young, db])).verdict, 'leaves as 192.0.2.110 via node-9');
    const excluded = computeTrace(input({ destination: '198.51.100.20' }, [young, db]));
    assert.equal(excluded.verdict, 'leaves as 192.0.2.110 via node-9');
    assert.match(excluded.steps[2]![1], /shop\/db excludes it \(198\.51\.100\.20\/32\)/);
  });

  it('per destination: on an identical prefix the older policy applies', () => {
    const same = policy('same', { egressIPs: ['192.0.2.110'], destinationCIDRs: ['198.51.100.0/24'] }, { '192.0.2.110': 'node-9' }, '2024-06-01T00:00:00Z');
    const r = computeTrace(input({}, [db, same]));
    assert.equal(r.verdict, 'leaves as 192.0.2.110 via node-9');
    assert.match(r.steps[2]![1], /shop\/db matches 198\.51\.100\.0\/24 too, but shop\/same takes precedence \(older; PodConflict\)/);
  });

  it('unauthorized IPs are not pinned to; with none usable the pod is not steered', () => {
    const authorization = new Map([['shop/db', IPS.map((ip) => ({ ip, problem: { reason: 'IPNotAuthorized', message: '' } }))]]);
    assert.equal(computeTrace(input({ authorization })).verdict,
      'leaves with the node IP: shop/db has no usable egress IP (192.0.2.100: IPNotAuthorized; 192.0.2.101: IPNotAuthorized)');
  });

  it('cluster destinations, host-network pods and a bad destination', () => {
    assert.equal(computeTrace(input({ clusterCIDRs: ['198.51.100.0/25'] })).outcome, 'in-cluster');
    assert.equal(computeTrace(input({ pod: { ...pod, hostNetwork: true } })).verdict, 'leaves with the node IP: shop/web-1 uses the host network');
    assert.throws(() => computeTrace(input({ destination: 'example' })), TraceError);
  });
});
