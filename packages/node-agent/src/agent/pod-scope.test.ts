import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { FakeClock, flushMicrotasks, silentLogger, type Informer, type InformerEvent, type InformerHandler } from '@static-egress/controller-kit';
import type { EgressIPPool, StaticEgressIP } from '@static-egress/crds';
import { ScopedPods, computePodScope, type PodScope } from './pod-scope.js';

const node = (name: string, labels: Record<string, string> = {}): V1Node => ({ metadata: { name, labels } });
const pool = (nodeSelector?: object): EgressIPPool =>
  ({ apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'p' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }], ...(nodeSelector ? { nodeSelector } : {}) } }) as EgressIPPool;
const held = (nodeName: string): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: { name: 'a', namespace: 'shop' },
  spec: { egressIPs: ['192.0.2.100'] }, status: { assignments: [{ egressIP: '192.0.2.100', node: nodeName }] },
}) as StaticEgressIP;
const GW = { matchLabels: { 'staticegress.io/gateway': '' } };

describe('computePodScope (issue 16 §4)', () => {
  it('a node no pool admits and that holds nothing watches its own pods only', () => {
    assert.equal(computePodScope('n1', node('n1'), [pool(GW)], [held('n2')]), 'node');
    assert.equal(computePodScope('n1', node('n1'), [], []), 'node');
  });
  it('a gateway-eligible node, a holder, an unknown node or an unparsable pool watch all pods', () => {
    assert.equal(computePodScope('n1', node('n1', { 'staticegress.io/gateway': '' }), [pool(GW)], []), 'cluster');
    assert.equal(computePodScope('n1', node('n1'), [pool()], []), 'cluster', 'a pool without nodeSelector admits every node');
    assert.equal(computePodScope('n1', node('n1'), [pool(GW)], [held('n1')]), 'cluster', 'holding after its label went: still a gateway');
    assert.equal(computePodScope('n1', undefined, [], []), 'cluster');
    assert.equal(computePodScope('n1', node('n1'), [{ metadata: { name: 'bad' }, spec: { cidrs: 'x' } } as unknown as EgressIPPool], []), 'cluster');
  });
});

/** A pod informer whose list the test completes by hand. */
class FakePods implements Informer<V1Pod> {
  synced = false;
  stopped = false;
  private waiters: Array<[() => void, (e: Error) => void]> = [];
  private readonly handlers: Array<[InformerEvent, InformerHandler<V1Pod>]> = [];
  constructor(readonly scope: PodScope, readonly pods: V1Pod[]) {}
  start(): void {}
  async stop(): Promise<void> { this.stopped = true; for (const [, rej] of this.waiters.splice(0)) rej(new Error('stopped')); }
  hasSynced(): boolean { return this.synced; }
  waitForSync(): Promise<void> { return this.synced ? Promise.resolve() : new Promise((res, rej) => { this.waiters.push([res, rej]); }); }
  list(): ReadonlyArray<V1Pod> { return this.pods; }
  get(): V1Pod | undefined { return undefined; }
  on(event: InformerEvent, fn: InformerHandler<V1Pod>): () => void { this.handlers.push([event, fn]); return () => undefined; }
  sync(): void { this.synced = true; for (const [res] of this.waiters.splice(0)) res(); }
}

function setup() {
  const clock = new FakeClock(0);
  let want: PodScope | undefined;
  const made: FakePods[] = [];
  const pod = (name: string): V1Pod => ({ metadata: { name, namespace: 'shop' } });
  const scoped = new ScopedPods({
    clock, logger: silentLogger, narrowAfterMs: 60_000, scope: () => want,
    make: (scope) => { const f = new FakePods(scope, scope === 'node' ? [pod('mine')] : [pod('mine'), pod('theirs')]); made.push(f); return f; },
  });
  let changes = 0;
  scoped.on('change', () => { changes++; });
  return { clock, made, scoped, set: (s: PodScope | undefined) => { want = s; }, changes: () => changes };
}

describe('ScopedPods (issue 16 §4)', () => {
  it('starts nothing until the scope is known, then lists that scope', async () => {
    const t = setup();
    t.scoped.start();
    assert.equal(t.made.length, 0);
    t.set('node');
    t.scoped.refresh();
    assert.deepEqual(t.made.map((m) => m.scope), ['node']);
    assert.equal(t.scoped.hasSynced(), false);
    t.made[0]!.sync();
    await flushMicrotasks();
    assert.equal(t.scoped.hasSynced(), true);
    assert.deepEqual(t.scoped.list().map((p) => p.metadata?.name), ['mine']);
    assert.equal(t.scoped.complete(), true);
  });

  it('widens at once, and is incomplete (the agent computes nothing new) until all pods are listed', async () => {
    const t = setup();
    t.set('node');
    t.scoped.start();
    t.made[0]!.sync();
    await flushMicrotasks();
    t.set('cluster'); // this node became a gateway
    t.scoped.refresh();
    assert.equal(t.scoped.complete(), false);
    assert.deepEqual(t.scoped.list().map((p) => p.metadata?.name), ['mine'], 'the old cache serves until the new one has listed');
    const before = t.changes();
    t.made[1]!.sync();
    await flushMicrotasks();
    assert.equal(t.scoped.complete(), true);
    assert.equal(t.scoped.scope, 'cluster');
    assert.deepEqual(t.scoped.list().map((p) => p.metadata?.name), ['mine', 'theirs']);
    assert.ok(t.made[0]!.stopped, 'the node-scoped watch stops');
    assert.equal(t.changes(), before + 1, 'one change after the swap: the agent recomputes');
  });

  it('narrows only after wanting to for narrowAfterMs (directors may still route here), and not if it widens again meanwhile', async () => {
    const t = setup();
    t.set('cluster');
    t.scoped.start();
    t.made[0]!.sync();
    await flushMicrotasks();
    t.set('node');
    t.scoped.refresh();
    await t.clock.advanceAsync(59_000);
    assert.equal(t.made.length, 1, 'still all pods');
    assert.equal(t.scoped.complete(), true);
    t.set('cluster');
    t.scoped.refresh();
    t.set('node');
    t.scoped.refresh();
    await t.clock.advanceAsync(59_000);
    assert.equal(t.made.length, 1, 'the wish to narrow started again');
    await t.clock.advanceAsync(1_000);
    assert.deepEqual(t.made.map((m) => m.scope), ['cluster', 'node']);
    t.made[1]!.sync();
    await flushMicrotasks();
    assert.deepEqual(t.scoped.list().map((p) => p.metadata?.name), ['mine']);
    assert.ok(t.made[0]!.stopped);
  });
});
