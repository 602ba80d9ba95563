// The controller's writes are bounded: a pass that changes many policies keeps at most
// writeConcurrency requests in flight, and still writes every status.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Node } from '@kubernetes/client-node';
import { FakeClock, type ClusterSources } from '@static-egress/controller-kit';
import type { EgressIPPool, StaticEgressIP } from '@static-egress/crds';
import { Controller, DEFAULT_WRITE_CONCURRENCY, type HealthSource } from './controller.js';
import type { EventRecorder, StatusWriter } from './kube-writer.js';

const informer = (items: unknown[]) => ({ list: () => items, get: () => undefined, on: () => () => {} });

const policies = Array.from({ length: 60 }, (_, i): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
  metadata: { name: `p${i}`, namespace: 'shop', uid: `uid-p${i}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
  spec: { egressIPs: [`192.0.2.${100 + i}`], podSelector: { matchLabels: { app: `a${i}` } } },
} as StaticEgressIP));
const pool = { apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'lan', generation: 1 }, spec: { cidrs: [{ cidr: '192.0.2.0/24' }] } } as EgressIPPool;
const nodes: V1Node[] = [1, 2].map((n) => ({ metadata: { name: `n${n}` }, status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${10 + n}` }], conditions: [{ type: 'Ready', status: 'True' }] } }));

function run(writeConcurrency?: number) {
  const sources = {
    policies: informer(policies), clusterPolicies: informer([]), pools: informer([pool]), nodes: informer(nodes), pods: informer([]),
    services: informer([]), namespaces: informer([{ metadata: { name: 'shop' } }] as V1Namespace[]),
  } as unknown as ClusterSources;
  const seen = { inFlight: 0, max: 0, written: new Set<string>() };
  const slow = async (key: string) => {
    seen.max = Math.max(seen.max, ++seen.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    seen.inFlight--;
    seen.written.add(key);
  };
  const status: StatusWriter = { applyPolicyStatus: (ref) => slow(ref.name), applyPoolStatus: (name) => slow(`pool/${name}`) };
  const events = { applyEvent: async () => {} } as unknown as EventRecorder;
  const up = new Map(nodes.map((n) => [n.metadata!.name!, true]));
  const health: HealthSource = { setTargets: () => {}, health: () => up, held: () => undefined };
  const c = new Controller({ sources, status, events, health, clock: new FakeClock(Date.parse('2026-01-01T00:00:01Z')), ...(writeConcurrency ? { writeConcurrency } : {}) });
  return { seen, sync: () => c.sync() };
}

describe('Controller writes', () => {
  it('keeps at most writeConcurrency writes in flight and writes every status', async () => {
    const { seen, sync } = run(4);
    await sync();
    assert.equal(seen.written.size, policies.length + 1); // every policy and the pool
    assert.equal(seen.max, 4);
  });

  it('the default bound holds for a pass larger than it', async () => {
    const { seen, sync } = run();
    await sync();
    assert.equal(seen.written.size, policies.length + 1);
    assert.equal(seen.max, DEFAULT_WRITE_CONCURRENCY);
  });
});
