import assert from 'node:assert/strict';
import { malformedObjects, wellFormedObjects } from '../testdata/malformed.js';
import type { ClusterStaticEgressIP, EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import { parseClusterPolicy } from './parse-cluster.js';
import { parsePolicy, parsePool } from './parse.js';

function parseAny(o: Record<string, unknown>): unknown {
  if (o.kind === 'ClusterStaticEgressIP') return parseClusterPolicy(o as unknown as ClusterStaticEgressIP);
  return o.kind === 'EgressIPPool' ? parsePool(o as unknown as EgressIPPool) : parsePolicy(o as unknown as StaticEgressIP);
}

describe('parsePolicy / parsePool', () => {
  describe('reject what the CRD schema rejects, naming the same field', () => {
    it('has at least 18 cases covering both kinds', () => {
      assert.ok(malformedObjects.length >= 18);
      assert.ok(malformedObjects.some((c) => c.object.kind === 'EgressIPPool'));
      assert.ok(malformedObjects.some((c) => c.object.kind === 'StaticEgressIP'));
    });
    for (const c of malformedObjects) {
      it(`${c.name} → ${c.expectField}`, () => {
        assert.throws(
          () => parseAny(c.object),
          (err: unknown) => {
            assert.ok(err instanceof ParseError, String(err));
            assert.ok(err.field.startsWith(c.expectField), `field ${err.field} does not start with ${c.expectField}`);
            assert.ok(err.message.includes(c.expectField), err.message);
            if (c.expectMessage) assert.match(err.message, c.expectMessage);
            return true;
          },
        );
      });
    }
  });

  describe('accept what the CRD schema accepts', () => {
    for (const c of wellFormedObjects) it(c.name, () => assert.doesNotThrow(() => parseAny(c.object)));
  });

  it('parses a policy into its internal form with defaults', () => {
    const p = parsePolicy({
      metadata: { name: 'db', namespace: 'shop', uid: 'u1', generation: 3, creationTimestamp: new Date('2026-01-02T03:04:05Z') },
      spec: { egressIPs: ['192.0.2.100', '192.0.2.101'], podSelector: { matchLabels: { app: 'web' } } },
      status: {
        assignments: [
          { egressIP: '192.0.2.100', node: 'node-2' },
          { egressIP: 'junk', node: 'node-9' },
        ],
      },
    });
    assert.equal(p.key, 'shop/db');
    assert.equal(p.uid, 'u1');
    assert.equal(p.generation, 3);
    assert.equal(p.createdAt, Date.parse('2026-01-02T03:04:05Z'));
    assert.deepEqual(p.egressIPs, ['192.0.2.100', '192.0.2.101']);
    assert.deepEqual(p.destinationCIDRs, ['0.0.0.0/0']);
    assert.deepEqual(p.excludedCIDRs, []);
    assert.deepEqual(p.podSelector, { matchLabels: { app: 'web' } });
    assert.equal(p.serviceName, undefined);
    assert.deepEqual([...p.assignments], [['192.0.2.100', 'node-2']]);
  });

  it('reads creationTimestamp as a string too (custom objects are not deserialized by client-node)', () => {
    const p = parsePolicy({
      metadata: { name: 'db', namespace: 'shop', creationTimestamp: '2026-01-02T03:04:05Z' as unknown as Date },
      spec: { egressIPs: ['192.0.2.100'], serviceName: 'frontend', excludedCIDRs: ['198.51.100.7/32'] },
    });
    assert.equal(p.createdAt, Date.parse('2026-01-02T03:04:05Z'));
    assert.equal(p.serviceName, 'frontend');
    assert.deepEqual(p.excludedCIDRs, ['198.51.100.7/32']);
  });

  it('does not share selector objects with the input (cache objects are never mutated)', () => {
    const sel = { matchLabels: { app: 'web' } };
    const p = parsePolicy({ metadata: { name: 'a', namespace: 'n' }, spec: { egressIPs: ['192.0.2.1'], podSelector: sel } });
    p.podSelector!.matchLabels!.app = 'x';
    assert.equal(sel.matchLabels.app, 'web');
  });

  it('requires metadata.namespace on a policy', () => {
    assert.throws(() => parsePolicy({ metadata: { name: 'a' }, spec: { egressIPs: ['192.0.2.1'] } }), /metadata\.namespace/);
  });

  it('names the object in the message', () => {
    assert.throws(
      () => parsePolicy({ metadata: { name: 'db', namespace: 'shop' }, spec: { egressIPs: ['x'] } }),
      /^ParseError: StaticEgressIP shop\/db: spec\.egressIPs\[0\]: must be an IPv4 address/,
    );
  });

  it('parses a pool with defaults', () => {
    const p = parsePool({ metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } });
    assert.deepEqual(p, { name: 'lan', cidrs: [{ cidr: '192.0.2.96/27', reserved: [] }], maxIPsPerNode: 8, topologyKey: 'topology.kubernetes.io/zone' });
  });

  it('keeps pool selectors and maxIPsPerNode', () => {
    const p = parsePool({
      metadata: { name: 'lan' },
      spec: {
        cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }],
        namespaceSelector: { matchLabels: { egress: 'allowed' } },
        nodeSelector: { matchExpressions: [{ key: 'staticegress.io/gateway', operator: 'Exists' }] },
        maxIPsPerNode: 2,
      },
    });
    assert.equal(p.maxIPsPerNode, 2);
    assert.deepEqual(p.cidrs[0]!.reserved, ['192.0.2.96']);
    assert.deepEqual(p.namespaceSelector, { matchLabels: { egress: 'allowed' } });
    assert.deepEqual(p.nodeSelector, { matchExpressions: [{ key: 'staticegress.io/gateway', operator: 'Exists' }] });
  });
});
