// The leader's pass in cloud mode: the cloud's interfaces decide where an IP may go and what status
// may say; calls come out of the pass, the next pass sees what they did.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Node } from '@kubernetes/client-node';
import { parseClusterView, type ClusterSnapshot, type EgressIPPool, type StaticEgressIP } from '@static-egress/crds';
import type { CloudInterface } from '../cloud/provider.js';
import { computeManagerPass, emptyMemory, type ProbeHealth } from './pass.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const node = (name: string, ip: string): V1Node => ({
  metadata: { name }, spec: { providerID: `aws:///us-east-1a/i-${name}` },
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: 'True' }] },
});
const policy = (ips: string[], name = 'db'): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
  spec: { egressIPs: ips },
} as StaticEgressIP);
const pool = { apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'vpc', generation: 1 }, spec: { cidrs: [{ cidr: '192.0.2.0/24' }] } } as EgressIPPool;
const snap = (ips: string[], more: StaticEgressIP[] = []): ClusterSnapshot => ({
  policies: [policy(ips), ...more], pools: [pool], pods: [], services: [],
  nodes: [node('a', '192.0.2.11'), node('b', '192.0.2.140')], namespaces: [{ metadata: { name: 'shop' } }] as V1Namespace[],
});
const eni = (n: string, subnet: string, primary: string, secondary: string[] = [], limit = 3): CloudInterface =>
  ({ node: n, instance: `i-${n}`, interface: `eni-${n}`, subnet, limit, primary, secondary });
const health: ProbeHealth = { verdicts: new Map([['a', true], ['b', true]]), held: new Map() };

describe('computeManagerPass in cloud mode', () => {
  it('places an IP in its subnet, asks the cloud first, publishes once the cloud holds it', () => {
    const view = parseClusterView(snap(['192.0.2.150']));
    const ifaces = new Map([['a', eni('a', '192.0.2.0/25', '192.0.2.11')], ['b', eni('b', '192.0.2.128/25', '192.0.2.140')]]);
    const first = computeManagerPass(view, emptyMemory, health, T, { cloud: { interfaces: ifaces, errors: new Map() } });
    assert.deepEqual(first.cloud?.ops, [{ kind: 'assign', ip: '192.0.2.150', to: 'b', from: [] }]);
    assert.deepEqual(first.statuses[0]?.status?.assignments, []);
    assert.equal(first.statuses[0]?.status?.conditions?.find((c) => c.type === 'Assigned')?.reason, 'CloudPending');
    assert.equal(first.cloud?.annotations.length, 2);
    ifaces.set('b', eni('b', '192.0.2.128/25', '192.0.2.140', ['192.0.2.150']));
    const second = computeManagerPass(view, emptyMemory, health, T, { cloud: { interfaces: ifaces, errors: new Map() } });
    assert.deepEqual(second.cloud?.ops, []);
    assert.deepEqual(second.statuses[0]?.status?.assignments, [{ egressIP: '192.0.2.150', node: 'b' }]);
  });

  it('NoSubnet for an IP outside every node subnet, NoCapacity when its subnet is full; a cloud error shows and fires an Event', () => {
    const view = parseClusterView(snap(['192.0.2.20', '192.0.2.250'], [policy(['192.0.2.30'], 'web')]));
    const ifaces = new Map([['a', eni('a', '192.0.2.0/25', '192.0.2.11', [], 2)]]);
    const errors = new Map([['192.0.2.20', 'aws assign 192.0.2.20: RequestLimitExceeded: slow down']]);
    const pass = computeManagerPass(view, emptyMemory, health, T, { cloud: { interfaces: ifaces, errors } });
    const msg = pass.statuses.map((w) => w.status?.conditions?.find((c) => c.type === 'Assigned')?.message ?? '').join('\n');
    assert.match(msg, /192\.0\.2\.250 lies in no gateway's cloud subnet/);
    assert.match(msg, /192\.0\.2\.30 has room left/);
    assert.match(msg, /RequestLimitExceeded/);
    const reasons = pass.statuses.flatMap((w) => w.events.map((e) => e.reason));
    for (const r of ['EgressIPNoSubnet', 'EgressIPNoCapacity', 'EgressIPCloudError']) assert.ok(reasons.includes(r), `${r} in ${reasons.join(',')}`);
  });

  it('without a cloud, nothing of the cloud: no ops, no annotations', () => {
    const pass = computeManagerPass(parseClusterView(snap(['192.0.2.150'])), emptyMemory, health, T);
    assert.equal(pass.cloud, undefined);
    assert.deepEqual(pass.statuses[0]?.status?.assignments?.length, 1);
  });
});
