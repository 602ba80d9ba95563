import assert from 'node:assert/strict';
import { selectPods } from './select-pods.js';
import type { PodInfo, Policy, ServiceInfo } from './types.js';

function policy(namespace: string, name: string, createdAt: number, sel: Partial<Policy> = {}): Policy {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid: name,
    generation: 1,
    createdAt,
    egressIPs: ['192.0.2.100'],
    destinationCIDRs: ['0.0.0.0/0'],
    excludedCIDRs: [],
    assignments: new Map(),
    ...sel,
  };
}

function pod(namespace: string, name: string, labels: Record<string, string>, extra: Partial<PodInfo> = {}): PodInfo {
  return { key: `${namespace}/${name}`, namespace, name, uid: `uid-${name}`, labels, nodeName: 'node-1', podIP: '203.0.113.40', ...extra };
}

describe('selectPods', () => {
  const web = pod('shop', 'web-1', { app: 'web' });
  const db = pod('shop', 'db-1', { app: 'db' });
  const other = pod('blog', 'web-1', { app: 'web' });

  it('selects by podSelector within the policy namespace only', () => {
    const r = selectPods([policy('shop', 'p', 1, { podSelector: { matchLabels: { app: 'web' } } })], [web, db, other], []);
    assert.deepEqual([...r], [['shop/web-1', { policyKeys: ['shop/p'], conflicts: [] }]]);
  });

  it('selects every pod of the namespace when neither podSelector nor serviceName is set', () => {
    const r = selectPods([policy('shop', 'all', 1)], [web, db, other], []);
    assert.deepEqual([...r.keys()].sort(), ['shop/db-1', 'shop/web-1']);
  });

  it('selects the pods behind a Service by its selector', () => {
    const services: ServiceInfo[] = [
      { namespace: 'shop', name: 'frontend', selector: { app: 'web' } },
      { namespace: 'blog', name: 'frontend', selector: { app: 'db' } },
    ];
    const r = selectPods([policy('shop', 'svc', 1, { serviceName: 'frontend' })], [web, db, other], services);
    assert.deepEqual([...r.keys()], ['shop/web-1']);
  });

  it('selects nothing for a missing Service or one without a selector', () => {
    const p = policy('shop', 'svc', 1, { serviceName: 'frontend' });
    assert.equal(selectPods([p], [web, db], []).size, 0);
    assert.equal(selectPods([p], [web, db], [{ namespace: 'shop', name: 'frontend' }]).size, 0);
  });

  it('skips pods without an IP or node, terminal pods and hostNetwork pods', () => {
    const pods = [
      pod('shop', 'pending', {}, { nodeName: undefined, podIP: undefined }),
      pod('shop', 'no-ip', {}, { podIP: undefined }),
      pod('shop', 'no-node', {}, { nodeName: '' }),
      pod('shop', 'done', {}, { phase: 'Succeeded' }),
      pod('shop', 'failed', {}, { phase: 'Failed' }),
      pod('shop', 'host', {}, { hostNetwork: true }),
      pod('shop', 'running', {}, { phase: 'Running' }),
    ];
    const r = selectPods([policy('shop', 'all', 1)], pods, []);
    assert.deepEqual([...r.keys()], ['shop/running']);
  });

  it('lists every policy of a pod, older first, and the younger ones on an identical destination as conflicts', () => {
    const old = policy('shop', 'old', 100, { podSelector: { matchLabels: { app: 'web' } } });
    const mid = policy('shop', 'mid', 200);
    const young = policy('shop', 'young', 300, { podSelector: {} });
    for (const order of [
      [young, mid, old],
      [old, young, mid],
    ]) {
      const r = selectPods(order, [web, db], []);
      assert.deepEqual(r.get('shop/web-1'), {
        policyKeys: ['shop/old', 'shop/mid', 'shop/young'],
        conflicts: [{ winner: 'shop/old', loser: 'shop/mid', cidr: '0.0.0.0/0' }, { winner: 'shop/old', loser: 'shop/young', cidr: '0.0.0.0/0' }],
      });
      assert.deepEqual(r.get('shop/db-1'), { policyKeys: ['shop/mid', 'shop/young'], conflicts: [{ winner: 'shop/mid', loser: 'shop/young', cidr: '0.0.0.0/0' }] });
    }
  });

  it('breaks equal ages by name', () => {
    const r = selectPods([policy('shop', 'b', 1), policy('shop', 'a', 1)], [web], []);
    assert.deepEqual(r.get('shop/web-1'), { policyKeys: ['shop/a', 'shop/b'], conflicts: [{ winner: 'shop/a', loser: 'shop/b', cidr: '0.0.0.0/0' }] });
  });

  it('per destination: policies of a pod with different destinations are no conflict', () => {
    const broad = policy('shop', 'broad', 100);
    const narrow = policy('shop', 'narrow', 200, { destinationCIDRs: ['198.51.100.0/24'] });
    const same = policy('shop', 'same', 300, { destinationCIDRs: ['198.51.100.0/24', '203.0.113.0/24'] });
    assert.deepEqual(selectPods([narrow, broad], [web], []).get('shop/web-1'), { policyKeys: ['shop/broad', 'shop/narrow'], conflicts: [] });
    assert.deepEqual(selectPods([same, narrow, broad], [web], []).get('shop/web-1')?.conflicts, [{ winner: 'shop/narrow', loser: 'shop/same', cidr: '198.51.100.0/24' }]);
  });
});
