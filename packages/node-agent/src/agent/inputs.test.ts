import assert from 'node:assert/strict';
import type { V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ClusterSnapshot, EgressIPPool, StaticEgressIP } from '@static-egress/crds';
import { computeNodeState } from '../desired/compute.js';
import { computeAgentInputs } from './inputs.js';

const ranges = { markMask: 0xff0000, tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5999 };
const node = (name: string, ip: string): V1Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
const pod = (ns: string, name: string, nodeName: string, ip: string, labels: Record<string, string>): V1Pod =>
  ({ metadata: { namespace: ns, name, uid: `uid-${name}`, labels }, spec: { nodeName, containers: [] }, status: { phase: 'Running', podIP: ip } });

function snapshot(): ClusterSnapshot {
  const policy = (name: string, ns: string, ip: string, created: string, node?: string): StaticEgressIP => ({
    apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
    metadata: { name, namespace: ns, uid: `p-${name}`, generation: 1, creationTimestamp: created as unknown as Date },
    spec: { egressIPs: [ip], podSelector: { matchLabels: { app: 'web' } }, destinationCIDRs: ['198.51.100.0/24'] },
    ...(node ? { status: { assignments: [{ egressIP: ip, node }] } } : {}),
  } as StaticEgressIP);
  return {
    policies: [
      policy('db', 'shop', '192.0.2.100', '2026-01-01T00:00:00Z', 'n2'),
      policy('steal', 'other', '192.0.2.101', '2026-01-01T00:00:00Z', 'n2'), // namespace not admitted by the pool
    ],
    pools: [{ apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'lan' },
      spec: { cidrs: [{ cidr: '192.0.2.96/27' }], namespaceSelector: { matchLabels: { egress: 'allowed' } } } } as EgressIPPool],
    pods: [pod('shop', 'web-1', 'n1', '203.0.113.34', { app: 'web' }), pod('shop', 'api-1', 'n1', '203.0.113.35', { app: 'api' }),
      pod('other', 'web-2', 'n1', '203.0.113.36', { app: 'web' })],
    nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12')],
    services: [] as V1Service[],
    namespaces: [{ metadata: { name: 'shop', labels: { egress: 'allowed' } } }, { metadata: { name: 'other' } }] as V1Namespace[],
  };
}

describe('computeAgentInputs', () => {
  it('honours only authorized IPs and selected pods, from API objects', () => {
    const { input } = computeAgentInputs(snapshot(), { nodeName: 'n1', mode: 'direct', clusterCIDRs: ['203.0.113.0/24'], ranges });
    assert.ok(input);
    const state = computeNodeState(input);
    assert.deepEqual(state.director.map((d) => [d.egressIP, d.podIPs, d.route.kind]), [['192.0.2.100', ['203.0.113.34'], 'direct']]);
  });
  it('waits for its own Node', () => {
    const { input } = computeAgentInputs(snapshot(), { nodeName: 'n9', mode: 'direct', clusterCIDRs: [], ranges });
    assert.equal(input, null);
  });
});

describe('computeAgentInputs: invalid objects', () => {
  it('skips an invalid pool and hands it back to be reported (the manager reports the same)', () => {
    const snap = snapshot();
    const bad = { ...snap, pools: [...snap.pools, { apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'broken' }, spec: { cidrs: [{ cidr: 'nope' }] } } as EgressIPPool] };
    const { input, bad: skipped } = computeAgentInputs(bad, { nodeName: 'n1', mode: 'direct', clusterCIDRs: [], ranges });
    assert.ok(input);
    assert.deepEqual(skipped.map((b) => [b.kind, b.key]), [['EgressIPPool', 'broken']]);
  });
});
