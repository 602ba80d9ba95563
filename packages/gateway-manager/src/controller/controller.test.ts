// The controller's run loop (the pass itself is pass.test.ts): events and probe flips coalesce into
// passes, a failing pass is retried with backoff, stop() ends it. A pass is seen as the prober
// being given its targets, which every pass does first.
import assert from 'node:assert/strict';
import { FakeClock, type ClusterSources } from '@static-egress/controller-kit';
import { Controller, type HealthSource } from './controller.js';
import type { EventRecorder, StatusWriter } from './kube-writer.js';

function fakeInformer() {
  const handlers = new Set<() => void>();
  const inf = {
    list: () => [],
    get: () => undefined,
    on: (_event: string, fn: () => void) => { handlers.add(fn); return () => handlers.delete(fn); },
    change: () => { for (const fn of handlers) fn(); },
    handlers,
  };
  return inf;
}

function setup() {
  const clock = new FakeClock(0);
  const informers = { policies: fakeInformer(), clusterPolicies: fakeInformer(), pools: fakeInformer(), nodes: fakeInformer(), pods: fakeInformer(), services: fakeInformer(), namespaces: fakeInformer() };
  const passes: number[] = [];
  const probe = { fail: false };
  const health: HealthSource = {
    setTargets: () => {
      passes.push(clock.now());
      if (probe.fail) throw new Error('boom');
    },
    health: () => new Map(),
    held: () => undefined,
  };
  const status = { applyPolicyStatus: async () => {}, applyPoolStatus: async () => {} } as unknown as StatusWriter;
  const events = { applyEvent: async () => {} } as unknown as EventRecorder;
  const controller = new Controller({ sources: informers as unknown as ClusterSources, status, events, health, clock });
  return { clock, informers, passes, probe, controller, handlers: () => Object.values(informers).reduce((n, i) => n + i.handlers.size, 0) };
}

describe('Controller run loop', () => {
  it('passes once on start, once per burst of informer events, and on a probe flip', async () => {
    const { clock, informers, passes, controller } = setup();
    controller.start();
    await clock.advanceAsync(0);
    assert.deepEqual(passes, [0]);
    await clock.advanceAsync(100);
    for (let i = 0; i < 50; i++) Object.values(informers)[i % 6]!.change();
    await clock.advanceAsync(0);
    assert.deepEqual(passes, [0, 100]);
    await clock.advanceAsync(100);
    controller.healthChanged();
    await clock.advanceAsync(0);
    assert.deepEqual(passes, [0, 100, 200]);
    await clock.advanceAsync(60_000);
    assert.equal(passes.length, 3, 'no periodic pass');
    await controller.stop();
  });

  it('retries a failing pass with backoff from 50 ms; events meanwhile wait for the retry', async () => {
    const { clock, informers, passes, probe, controller } = setup();
    probe.fail = true;
    controller.start();
    await clock.advanceAsync(20);
    informers.pods.change();
    await clock.advanceAsync(400);
    assert.deepEqual(passes, [0, 50, 150, 350]);
    probe.fail = false;
    await clock.advanceAsync(1000);
    assert.deepEqual(passes, [0, 50, 150, 350, 750]);
    await controller.stop();
  });

  it('stop unsubscribes from the informers and no pass follows', async () => {
    const { clock, informers, passes, controller, handlers } = setup();
    controller.start();
    await clock.advanceAsync(0);
    assert.equal(handlers(), Object.keys(informers).length, 'one handler per informer');
    await controller.stop();
    assert.equal(handlers(), 0);
    informers.policies.change();
    controller.healthChanged();
    await clock.advanceAsync(1000);
    assert.deepEqual(passes, [0]);
    assert.equal(clock.pending(), 0);
  });
});

