import assert from 'node:assert/strict';
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { parseClusterView, parseNode, type ClusterSnapshot } from './view.js';

const policy = (name: string, ips: string[], created: string): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: 1, creationTimestamp: created as unknown as Date },
  spec: { egressIPs: ips, podSelector: { matchLabels: { app: 'web' } } },
} as StaticEgressIP);
const pool = (name: string, cidr: string): EgressIPPool =>
  ({ apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name }, spec: { cidrs: [{ cidr }] } } as EgressIPPool);
const node = (name: string, ip: string): V1Node =>
  ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: 'True' }] } });
const pod = (name: string): V1Pod =>
  ({ metadata: { namespace: 'shop', name, uid: `uid-${name}`, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running', podIP: '203.0.113.10' } });

function snapshot(): ClusterSnapshot {
  return {
    policies: [policy('db', ['192.0.2.100'], '2026-01-01T00:00:00Z'), policy('late', ['192.0.2.11'], '2026-01-02T00:00:00Z'), policy('bad', ['nope'], '2026-01-01T00:00:00Z')],
    pools: [pool('lan', '192.0.2.0/24'), pool('broken', '192.0.2.1/33')],
    pods: [pod('web-1')],
    nodes: [node('n1', '192.0.2.11')],
    services: [],
    namespaces: [{ metadata: { name: 'shop', labels: { team: 'a' } } }] as V1Namespace[],
  };
}

describe('parseClusterView', () => {
  it('parses each object once and lists the bad ones with kind, key and what is wrong', () => {
    const view = parseClusterView(snapshot());
    assert.deepEqual(view.policies.map((p) => p.key), ['shop/db', 'shop/late']);
    assert.deepEqual(view.pools.map((p) => p.name), ['lan']);
    assert.deepEqual(view.bad.map((b) => [b.kind, b.key, b.message.split(':')[0]]), [
      ['StaticEgressIP', 'shop/bad', 'spec.egressIPs[0]'],
      ['EgressIPPool', 'broken', 'spec.cidrs[0].cidr'],
    ]);
    assert.equal(view.policyObjects.get('shop/bad')?.metadata?.uid, 'uid-bad');
    assert.equal(view.poolObjects.get('lan')?.metadata?.name, 'lan');
  });

  it('authorizes against every node address and lists every policy selecting a pod, older first', () => {
    const view = parseClusterView(snapshot());
    assert.deepEqual([...view.nodeAddresses], ['192.0.2.11']);
    assert.deepEqual(view.authorization.get('shop/db')?.map((a) => [a.ip, a.pool, a.problem?.reason]), [['192.0.2.100', 'lan', undefined]]);
    assert.equal(view.authorization.get('shop/late')?.[0]?.problem?.reason, 'IPIsNodeAddress');
    assert.deepEqual([...view.selection], [['shop/web-1', { policyKeys: ['shop/db', 'shop/late'], conflicts: [{ winner: 'shop/db', loser: 'shop/late', cidr: '0.0.0.0/0' }] }]]);
    assert.deepEqual(view.namespaceLabels.get('shop'), { team: 'a' });
  });
});

describe('parseNode', () => {
  it('reads NotReady, cordon and deletion', () => {
    const n = parseNode({
      metadata: { name: 'n1', labels: { a: 'b' }, deletionTimestamp: new Date() },
      spec: { unschedulable: true },
      status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }], conditions: [{ type: 'Ready', status: 'Unknown' }] },
    });
    assert.deepEqual(n, { name: 'n1', labels: { a: 'b' }, annotations: {}, ready: false, cordoned: true, deleted: true, internalIP: '192.0.2.11', addresses: ['192.0.2.11'] });
    assert.deepEqual(parseNode(node('n2', '192.0.2.12')), { name: 'n2', labels: {}, annotations: {}, ready: true, cordoned: false, deleted: false, internalIP: '192.0.2.12', addresses: ['192.0.2.12'] });
  });
});
