import assert from 'node:assert/strict';
import type { ClusterStaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import { describePolicy, parseClusterPolicy } from './parse-cluster.js';
import { parsePolicy } from './parse.js';

const cseip = (spec: unknown, extra: Record<string, unknown> = {}): ClusterStaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'ClusterStaticEgressIP',
  metadata: { name: 'corp', uid: 'uid-corp', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
  spec, ...extra,
} as ClusterStaticEgressIP);

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ParseError, String(err));
    return { field: err.field, message: err.message };
  }
  assert.fail('did not throw');
}

describe('parseClusterPolicy', () => {
  it('parses into the shared Policy shape with scope Cluster, a bare-name key and no namespace', () => {
    const p = parseClusterPolicy(cseip(
      { egressIPs: ['192.0.2.100', '192.0.2.101'], namespaceSelector: { matchLabels: { egress: 'corp' } }, podSelector: { matchLabels: { app: 'web' } },
        destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: ['198.51.100.7/32'] },
      { status: { assignments: [{ egressIP: '192.0.2.100', node: 'n2' }] } },
    ));
    assert.deepEqual(p, {
      key: 'corp', namespace: '', name: 'corp', uid: 'uid-corp', generation: 3, createdAt: Date.parse('2026-01-01T00:00:00Z'),
      scope: 'Cluster', namespaceSelector: { matchLabels: { egress: 'corp' } }, podSelector: { matchLabels: { app: 'web' } },
      egressIPs: ['192.0.2.100', '192.0.2.101'], destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: ['198.51.100.7/32'],
      assignments: new Map([['192.0.2.100', 'n2']]),
    });
    assert.equal(describePolicy(p), 'ClusterStaticEgressIP corp');
  });

  it('defaults destinations like a StaticEgressIP, and an empty namespaceSelector selects every namespace', () => {
    const p = parseClusterPolicy(cseip({ egressIPs: ['192.0.2.100'], namespaceSelector: {} }));
    const namespaced = parsePolicy({ metadata: { name: 'x', namespace: 'shop' }, spec: { egressIPs: ['192.0.2.100'] } } as never);
    assert.deepEqual(p.destinationCIDRs, namespaced.destinationCIDRs);
    assert.deepEqual(p.namespaceSelector, {});
    assert.equal(p.podSelector, undefined);
  });

  it('requires namespaceSelector and refuses serviceName, naming the field and the object', () => {
    const missing = fieldOf(() => parseClusterPolicy(cseip({ egressIPs: ['192.0.2.100'] })));
    assert.equal(missing.field, 'spec.namespaceSelector');
    assert.match(missing.message, /^ClusterStaticEgressIP corp: spec\.namespaceSelector: required/);
    const svc = fieldOf(() => parseClusterPolicy(cseip({ egressIPs: ['192.0.2.100'], namespaceSelector: {}, serviceName: 'web' })));
    assert.equal(svc.field, 'spec.serviceName');
    assert.match(svc.message, /namespaced/);
  });

  it('reports a shared field under its own kind and name, never the namespace that stands in for it', () => {
    const bad = fieldOf(() => parseClusterPolicy(cseip({ egressIPs: ['192.0.2.300'], namespaceSelector: {} })));
    assert.equal(bad.field, 'spec.egressIPs[0]');
    assert.match(bad.message, /^ClusterStaticEgressIP corp: spec\.egressIPs\[0\]/);
    const sel = fieldOf(() => parseClusterPolicy(cseip({ egressIPs: ['192.0.2.100'], namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } })));
    assert.equal(sel.field, 'spec.namespaceSelector.matchExpressions[0].values');
  });

  it('requires a name and a spec', () => {
    assert.equal(fieldOf(() => parseClusterPolicy({ metadata: {}, spec: {} } as never)).field, 'metadata.name');
    assert.equal(fieldOf(() => parseClusterPolicy(cseip(undefined))).field, 'spec');
  });
});
