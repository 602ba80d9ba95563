// ClusterStaticEgressIPs (issue 9) in the shared semantics: selection across namespaces,
// precedence against namespaced policies, authorization by every selected namespace, the view.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { Reason } from '../constants.js';
import type { ClusterStaticEgressIP, EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { authorizeEgressIPs } from './authorize.js';
import { resolveDestination } from './destinations.js';
import { comparePolicyPrecedence } from './precedence.js';
import { policySelectsPod } from './select-pods.js';
import type { Labels, PodInfo, Policy, Pool } from './types.js';
import { parseClusterView } from './view.js';

function cluster(name: string, createdAt: number, extra: Partial<Policy> = {}): Policy {
  return {
    key: name, scope: 'Cluster', namespaceSelector: { matchLabels: { egress: 'corp' } }, namespace: '', name, uid: name, generation: 1, createdAt,
    egressIPs: ['192.0.2.100'], destinationCIDRs: ['0.0.0.0/0'], excludedCIDRs: [], assignments: new Map(), ...extra,
  };
}

function namespaced(namespace: string, name: string, createdAt: number, extra: Partial<Policy> = {}): Policy {
  return {
    key: `${namespace}/${name}`, namespace, name, uid: name, generation: 1, createdAt,
    egressIPs: ['192.0.2.110'], destinationCIDRs: ['0.0.0.0/0'], excludedCIDRs: [], assignments: new Map(), ...extra,
  };
}

const pod = (namespace: string, name: string, labels: Labels = { app: 'web' }): PodInfo =>
  ({ key: `${namespace}/${name}`, namespace, name, uid: `uid-${namespace}-${name}`, labels, nodeName: 'n1', podIP: '203.0.113.40' });

const nsLabels = new Map<string, Labels>([
  ['team-a', { egress: 'corp' }],
  ['team-b', { egress: 'corp', tier: 'prod' }],
  ['other', {}],
]);

describe('ClusterStaticEgressIP semantics', () => {
  describe('policySelectsPod', () => {
    it('selects pods of every namespace its namespaceSelector matches, by podSelector', () => {
      const p = cluster('corp', 1, { podSelector: { matchLabels: { app: 'web' } } });
      assert.equal(policySelectsPod(p, pod('team-a', 'w'), [], nsLabels), true);
      assert.equal(policySelectsPod(p, pod('team-b', 'w'), [], nsLabels), true);
      assert.equal(policySelectsPod(p, pod('other', 'w'), [], nsLabels), false, 'namespace not selected');
      assert.equal(policySelectsPod(p, pod('team-a', 'db', { app: 'db' }), [], nsLabels), false, 'pod not selected');
      assert.equal(policySelectsPod(p, pod('gone', 'w'), [], nsLabels), false, 'a namespace the view does not know has no labels');
    });

    it('with an empty namespaceSelector and no podSelector selects every pod', () => {
      const p = cluster('all', 1, { namespaceSelector: {} });
      for (const ns of ['team-a', 'other', 'unknown']) assert.equal(policySelectsPod(p, pod(ns, 'x', {}), [], nsLabels), true);
    });
  });

  describe('comparePolicyPrecedence', () => {
    it('puts a namespaced policy before a cluster policy, even a younger one, then the older first', () => {
      const young = namespaced('team-a', 'mine', 9_999);
      const old = cluster('corp', 1);
      assert.ok(comparePolicyPrecedence(young, old) < 0);
      assert.ok(comparePolicyPrecedence(old, young) > 0);
      assert.ok(comparePolicyPrecedence(cluster('a', 1), cluster('b', 2)) < 0);
      assert.ok(comparePolicyPrecedence(namespaced('x', 'a', 5), namespaced('x', 'b', 2)) > 0);
    });

    it('is a total order: antisymmetric and transitive over mixed scopes, whatever the input order', () => {
      const arb = fc.record({
        cluster: fc.boolean(), createdAt: fc.integer({ min: 0, max: 3 }), ns: fc.constantFrom('a', 'b'), name: fc.constantFrom('p', 'q', 'r'),
      }).map((r) => (r.cluster ? cluster(r.name, r.createdAt) : namespaced(r.ns, r.name, r.createdAt)));
      fc.assert(fc.property(fc.array(arb, { maxLength: 8 }), (list) => {
        const sorted = [...list].sort(comparePolicyPrecedence);
        const reversed = [...list].reverse().sort(comparePolicyPrecedence);
        assert.deepEqual(sorted.map((p) => p.key), reversed.map((p) => p.key));
        const firstCluster = sorted.findIndex((p) => p.scope === 'Cluster');
        if (firstCluster >= 0) assert.ok(sorted.slice(firstCluster).every((p) => p.scope === 'Cluster'), 'namespaced ones first');
        for (let i = 1; i < sorted.length; i++) assert.ok(comparePolicyPrecedence(sorted[i - 1]!, sorted[i]!) <= 0);
      }));
    });
  });

  describe('with per-destination selection', () => {
    it('the more specific destination wins whatever the scope; scope only breaks a tie of the same prefix', () => {
      const own = namespaced('team-a', 'mine', 9, { destinationCIDRs: ['0.0.0.0/0'] });
      const corp = cluster('corp', 1, { destinationCIDRs: ['198.51.100.0/24'] });
      assert.equal(resolveDestination([own, corp], '198.51.100.10')?.policyKey, 'corp', 'the cluster policy\'s /24 is more specific');
      assert.equal(resolveDestination([own, corp], '203.0.113.9')?.policyKey, 'team-a/mine');
      const tie = cluster('corp', 1, { destinationCIDRs: ['0.0.0.0/0'] });
      assert.equal(resolveDestination([tie, own], '203.0.113.9')?.policyKey, 'team-a/mine', 'same prefix: the namespaced one, though younger');
    });
  });

  describe('authorizeEgressIPs', () => {
    const corpPool: Pool = { name: 'corp', cidrs: [{ cidr: '192.0.2.96/27', reserved: [] }], namespaceSelector: { matchLabels: { egress: 'corp' } }, maxIPsPerNode: 8 };
    const prodOnly: Pool = { name: 'prod', cidrs: [{ cidr: '198.51.100.0/28', reserved: [] }], namespaceSelector: { matchLabels: { tier: 'prod' } }, maxIPsPerNode: 8 };

    it('authorizes an IP whose pool admits every namespace the policy selects', () => {
      const r = authorizeEgressIPs([cluster('corp', 1)], [corpPool], nsLabels, new Set());
      assert.deepEqual(r.get('corp'), [{ ip: '192.0.2.100', pool: 'corp' }]);
    });

    it('refuses an IP whose pool does not admit one of the selected namespaces, naming it', () => {
      const r = authorizeEgressIPs([cluster('corp', 1, { egressIPs: ['198.51.100.5'] })], [corpPool, prodOnly], nsLabels, new Set());
      const [entry] = r.get('corp')!;
      assert.equal(entry?.problem?.reason, Reason.IPNotAuthorized);
      assert.match(entry!.problem!.message, /EgressIPPool prod does not admit team-a/);
      assert.doesNotMatch(entry!.problem!.message, /team-b/, 'team-b is admitted');
    });

    it('a contested IP stays with the older claim whatever the scope, and the message names the kind', () => {
      const ip = '192.0.2.100';
      const r = authorizeEgressIPs([namespaced('team-a', 'mine', 5, { egressIPs: [ip] }), cluster('corp', 1, { egressIPs: [ip] })], [corpPool], nsLabels, new Set());
      assert.equal(r.get('corp')![0]!.problem, undefined);
      assert.equal(r.get('team-a/mine')![0]!.problem?.reason, Reason.IPConflict);
      assert.match(r.get('team-a/mine')![0]!.problem!.message, /older ClusterStaticEgressIP corp/);
    });
  });

  describe('parseClusterView', () => {
    const seip = (ns: string, name: string, created: string, ips: string[]): StaticEgressIP => ({
      apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: { name, namespace: ns, uid: `uid-${name}`, creationTimestamp: created as unknown as Date },
      spec: { egressIPs: ips },
    } as StaticEgressIP);
    const cseip = (name: string, created: string, spec: Record<string, unknown>): ClusterStaticEgressIP => ({
      apiVersion: 'staticegress.io/v1alpha1', kind: 'ClusterStaticEgressIP', metadata: { name, uid: `uid-${name}`, creationTimestamp: created as unknown as Date },
      spec,
    } as unknown as ClusterStaticEgressIP);
    const k8sPod = (ns: string, name: string): V1Pod => ({
      metadata: { namespace: ns, name, uid: `uid-${ns}-${name}`, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running', podIP: '203.0.113.10' },
    });

    it('parses both kinds into one policy list with keys that cannot collide, and reports a bad cluster policy by its kind', () => {
      const view = parseClusterView({
        // a namespaced policy called like the cluster one: 'team-a/corp' vs 'corp'
        policies: [seip('team-a', 'corp', '2026-01-03T00:00:00Z', ['192.0.2.110'])],
        clusterPolicies: [
          cseip('corp', '2026-01-01T00:00:00Z', { egressIPs: ['192.0.2.100'], namespaceSelector: { matchLabels: { egress: 'corp' } } }),
          cseip('broken', '2026-01-01T00:00:00Z', { egressIPs: ['192.0.2.101'], namespaceSelector: {}, serviceName: 'web' }),
        ],
        pools: [{ metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } } as EgressIPPool],
        pods: [k8sPod('team-a', 'w'), k8sPod('team-b', 'w'), k8sPod('other', 'w')],
        nodes: [],
        services: [],
        namespaces: [...nsLabels].map(([name, labels]) => ({ metadata: { name, labels } })) as V1Namespace[],
      });
      assert.deepEqual(view.policies.map((p) => [p.key, p.scope ?? 'Namespaced']), [['team-a/corp', 'Namespaced'], ['corp', 'Cluster']]);
      assert.deepEqual(view.bad.map((b) => [b.kind, b.key, b.message.split(':')[0]]), [['ClusterStaticEgressIP', 'broken', 'spec.serviceName']]);
      assert.equal(view.policyObjects.get('corp')?.kind, 'ClusterStaticEgressIP');
      assert.equal(view.policyObjects.get('team-a/corp')?.kind, 'StaticEgressIP');
      assert.deepEqual(view.authorization.get('corp'), [{ ip: '192.0.2.100', pool: 'lan' }]);
      // team-a's own policy precedes the older cluster policy there; team-b's pod is the cluster policy's; other's is nobody's.
      assert.deepEqual(new Map([...view.selection].map(([pod, sel]) => [pod, sel.policyKeys[0]])), new Map([['team-a/w', 'team-a/corp'], ['team-b/w', 'corp']]));
      assert.deepEqual(view.selection.get('team-a/w')?.policyKeys, ['team-a/corp', 'corp'], 'both select it, the namespaced one first');
      assert.deepEqual(view.selection.get('team-a/w')?.conflicts, [{ winner: 'team-a/corp', loser: 'corp', cidr: '0.0.0.0/0' }]);
    });
  });
});
