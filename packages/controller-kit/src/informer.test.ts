import assert from 'node:assert/strict';
import { KubeConfig, type KubernetesListObject, type V1ConfigMap } from '@kubernetes/client-node';
import { FakeClock, flushMicrotasks } from './clock.js';
import { keyOf } from '@static-egress/crds';
import { createInformer, type Informer, type WatchLike } from './informer.js';
import { sameApartFromVersion } from './slim.js';

type Obj = V1ConfigMap;

function cm(name: string, rv: string, namespace = 'ns'): Obj {
  return { metadata: { name, namespace, resourceVersion: rv }, data: { v: rv } };
}

/** The API server side: a list source and watches the test drives by hand. */
class FakeApi {
  items = new Map<string, Obj>();
  rv = 10;
  listErrors: unknown[] = [];
  lists = 0;
  watches: Array<{ query: Record<string, unknown>; emit(type: string, obj: unknown): void; end(err?: unknown): void; aborted: boolean }> = [];
  watchRejects: unknown[] = [];

  listFn = async (): Promise<KubernetesListObject<Obj>> => {
    this.lists++;
    const err = this.listErrors.shift();
    if (err) throw err;
    return { metadata: { resourceVersion: String(this.rv) }, items: [...this.items.values()].map((o) => structuredClone(o)) };
  };

  watch: WatchLike = {
    watch: async (_path, query, callback, done) => {
      const rejection = this.watchRejects.shift();
      if (rejection) throw rejection;
      let ended = false;
      const w = {
        query,
        aborted: false,
        emit: (type: string, obj: unknown) => callback(type, obj, { type, object: obj }),
        end: (err?: unknown) => {
          if (ended) return;
          ended = true;
          done(err ?? null);
        },
      };
      this.watches.push(w);
      return { abort: () => { w.aborted = true; ended = true; } };
    },
  };

  current() {
    const w = this.watches.at(-1);
    assert.ok(w, 'no watch');
    return w;
  }
}

function setup(opts: { freeze?: boolean; transform?: (o: Obj) => Obj; listTransformed?: boolean; unchanged?: (a: Obj, b: Obj) => boolean; backoff?: { initialMs?: number; maxMs?: number; jitter?: number }; random?: () => number } = {}) {
  const api = new FakeApi();
  const clock = new FakeClock(0);
  const events: string[] = [];
  const informer: Informer<Obj> = createInformer<Obj>({
    kc: new KubeConfig(),
    path: '/api/v1/configmaps',
    listFn: api.listFn,
    clock,
    watch: api.watch,
    backoff: opts.backoff ?? { initialMs: 100, maxMs: 400, jitter: 0 },
    random: opts.random,
    freeze: opts.freeze,
    transform: opts.transform,
    ...(opts.listTransformed ? { listTransformed: true } : {}),
    unchanged: opts.unchanged,
  });
  for (const ev of ['add', 'update', 'delete'] as const) {
    informer.on(ev, (o) => events.push(`${ev} ${keyOf(o)}@${o.metadata?.resourceVersion}`));
  }
  return { api, clock, events, informer };
}

describe('createInformer', () => {
  it('is not synced until a list succeeds, and restarts a failed list with growing backoff', async () => {
    const { api, clock, informer, events } = setup();
    api.items.set('a', cm('a', '5'));
    api.listErrors.push(new Error('connection refused'), new Error('connection refused'));
    informer.start();
    await flushMicrotasks();
    assert.equal(api.lists, 1);
    assert.equal(informer.hasSynced(), false);

    await clock.advanceAsync(99);
    assert.equal(api.lists, 1);
    await clock.advanceAsync(1); // first retry after 100 ms
    assert.equal(api.lists, 2);
    assert.equal(informer.hasSynced(), false);
    await clock.advanceAsync(199);
    assert.equal(api.lists, 2);
    await clock.advanceAsync(1); // second retry after 200 ms
    assert.equal(api.lists, 3);
    assert.equal(informer.hasSynced(), true);
    assert.deepEqual(events, ['add ns/a@5']);
    assert.equal(informer.get('ns/a')?.data?.['v'], '5');
    assert.equal(api.current().query['resourceVersion'], '10');
    await informer.stop();
  });

  it('caps the backoff at 8 s by default and shortens each delay by its jitter', async () => {
    // random() = 1 - ε shortens a delay by (almost) the whole jitter: 500 ms × (1 − 0.25) = 375 ms.
    const { api, clock, informer } = setup({ backoff: {}, random: () => 0.999999 });
    for (let i = 0; i < 10; i++) api.listErrors.push(new Error('connection refused'));
    informer.start();
    await flushMicrotasks();
    const gaps: number[] = [];
    let last = 0;
    for (let t = 1; api.lists < 9; t++) {
      const before = api.lists;
      await clock.advanceAsync(1);
      if (api.lists > before) {
        gaps.push(t - last);
        last = t;
      }
    }
    // 500, 1000, 2000, 4000, 8000 (cap), 8000 … each × 0.75
    assert.deepEqual(gaps, [375, 750, 1500, 3000, 6000, 6000, 6000, 6000]);
    await informer.stop();
    assert.throws(() => setup({ backoff: { jitter: 1 } }), /jitter must be in \[0, 1\)/);
  });

  it('an update that reads the same after the transform updates the cache but fires no event (issue 16 §4)', async () => {
    // the reader ignores data.noise (as an agent ignores a policy's conditions)
    const { api, informer, events } = setup({ transform: (o) => ({ ...o, data: { v: o.data!.v! } }), unchanged: sameApartFromVersion });
    const changes: string[] = [];
    informer.on('change', (o) => changes.push(`${keyOf(o)}@${o.metadata?.resourceVersion}`));
    api.items.set('a', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '10' }, data: { v: '1' } });
    informer.start();
    await informer.waitForSync(1000);
    const w = api.current();
    w.emit('MODIFIED', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '11' }, data: { v: '1', noise: 'x' } });
    w.emit('MODIFIED', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '12' }, data: { v: '2', noise: 'y' } });
    w.emit('MODIFIED', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '13', labels: { l: '1' } }, data: { v: '2' } });
    w.emit('ADDED', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '14' }, data: { v: '1' } });
    assert.deepEqual(events, ['add ns/a@10', 'update ns/a@12', 'update ns/a@13', 'add ns/b@14']);
    assert.deepEqual(changes, ['ns/a@10', 'ns/a@12', 'ns/a@13', 'ns/b@14']);
    w.emit('MODIFIED', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '15' }, data: { v: '1', noise: 'z' } });
    assert.equal(informer.get('ns/b')?.metadata?.resourceVersion, '15', 'the cache has the quiet update');
    assert.equal(events.length, 4);
    // a relist after a quiet update still reports what changed
    api.items.set('a', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '13', labels: { l: '1' } }, data: { v: '2' } });
    api.items.set('b', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '20' }, data: { v: '9' } });
    api.rv = 21;
    w.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushMicrotasks();
    assert.equal(api.lists, 2);
    assert.deepEqual(events.slice(4), ['update ns/b@20']);
    await informer.stop();
  });

  it('applies watch events, and a throwing handler does not break the watch', async () => {
    const { api, informer, events } = setup();
    informer.on('add', () => {
      throw new Error('handler bug');
    });
    const changes: string[] = [];
    informer.on('change', (o) => changes.push(keyOf(o)));
    informer.start();
    await informer.waitForSync(1000);
    const w = api.current();
    w.emit('ADDED', cm('a', '11'));
    w.emit('MODIFIED', cm('a', '12'));
    w.emit('ADDED', { metadata: { name: 'node-1', resourceVersion: '13' } });
    w.emit('DELETED', cm('a', '14'));
    assert.deepEqual(events, ['add ns/a@11', 'update ns/a@12', 'add node-1@13', 'delete ns/a@14']);
    assert.deepEqual(changes, ['ns/a', 'ns/a', 'node-1', 'ns/a']);
    assert.equal(informer.get('ns/a'), undefined);
    assert.ok(informer.get('node-1'));
    assert.equal(informer.list().length, 1);
    await informer.stop();
  });

  it('relists at once after 410 Gone and emits deletes for objects that vanished meanwhile', async () => {
    const { api, clock, informer, events } = setup();
    api.items.set('a', cm('a', '5'));
    api.items.set('b', cm('b', '6'));
    informer.start();
    await informer.waitForSync(1000);
    api.items.delete('a');
    api.items.set('b', cm('b', '20'));
    api.rv = 21;
    api.current().end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushMicrotasks();
    assert.equal(api.lists, 2);
    assert.equal(clock.pending(), 0, 'no backoff for 410');
    assert.deepEqual(events.slice(2), ['delete ns/a@5', 'update ns/b@20']);
    assert.equal(api.current().query['resourceVersion'], '21');
    await informer.stop();
  });

  it('relists after a 410 ERROR event followed by the watch closing', async () => {
    const { api, informer } = setup();
    informer.start();
    await informer.waitForSync(1000);
    const w = api.current();
    w.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    w.end();
    await flushMicrotasks();
    assert.equal(api.lists, 2);
    await informer.stop();
  });

  it('resumes from its resourceVersion after a watch error, and resets the backoff once events flow', async () => {
    const { api, clock, informer } = setup();
    informer.start();
    await informer.waitForSync(1000);
    api.current().emit('ADDED', cm('a', '30'));
    const fail = () => api.current().end(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));

    fail();
    await clock.advanceAsync(100);
    assert.equal(api.watches.length, 2);
    assert.equal(api.current().query['resourceVersion'], '30', 'resumes without relisting');
    assert.equal(api.lists, 1);
    fail();
    await clock.advanceAsync(199);
    assert.equal(api.watches.length, 2);
    await clock.advanceAsync(1);
    assert.equal(api.watches.length, 3);
    api.current().emit('MODIFIED', cm('a', '31'));
    fail();
    await clock.advanceAsync(100);
    assert.equal(api.watches.length, 4, 'backoff reset after events flowed');
    await informer.stop();
  });

  it('turns a rejected watch request into a restart instead of an unhandled rejection', async () => {
    const { api, clock, informer } = setup();
    api.watchRejects.push(new Error('exec plugin failed'));
    informer.start();
    await flushMicrotasks();
    assert.equal(informer.hasSynced(), true);
    assert.equal(api.watches.length, 0);
    await clock.advanceAsync(100);
    assert.equal(api.watches.length, 1);
    await informer.stop();
  });

  it('stop() cancels a pending restart and no watch starts after a list that was in flight', async () => {
    const { api, clock, informer } = setup();
    api.listErrors.push(new Error('nope'));
    informer.start();
    await flushMicrotasks();
    await informer.stop();
    await clock.advanceAsync(10_000);
    assert.equal(api.lists, 1);

    informer.start();
    await informer.stop(); // list is in flight now
    await flushMicrotasks();
    assert.equal(api.watches.length, 0);
  });

  it('waitForSync rejects after its timeout, naming the informer', async () => {
    const { api, clock, informer } = setup();
    api.listErrors.push(...Array(10).fill(new Error('down')));
    informer.start();
    const waiting = assert.rejects(informer.waitForSync(250), /informer \/api\/v1\/configmaps not synced after 250ms/);
    await clock.advanceAsync(250);
    await waiting;
    await informer.stop();
  });

  it('freezes cached objects when asked', async () => {
    const { api, informer } = setup({ freeze: true });
    api.items.set('a', cm('a', '5'));
    informer.start();
    await informer.waitForSync(1000);
    const a = informer.get('ns/a');
    assert.ok(a && Object.isFrozen(a) && Object.isFrozen(a.metadata));
    assert.throws(() => {
      (a.metadata as { name?: string }).name = 'x';
    }, TypeError);
    api.current().emit('ADDED', cm('b', '11'));
    assert.ok(Object.isFrozen(informer.get('ns/b')?.data));
    await informer.stop();
  });

  it('caches what its transform returns, for listed and watched objects alike (issue 16: slim caches)', async () => {
    const dropData = (o: Obj): Obj => ({ metadata: o.metadata! });
    const { api, informer, events } = setup({ transform: dropData });
    api.items.set('a', cm('a', '5'));
    informer.start();
    await informer.waitForSync(1000);
    assert.deepEqual(informer.get('ns/a'), { metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } });
    api.current().emit('ADDED', cm('b', '11'));
    api.current().emit('MODIFIED', cm('b', '12'));
    assert.deepEqual(informer.get('ns/b'), { metadata: { name: 'b', namespace: 'ns', resourceVersion: '12' } });
    assert.deepEqual(events, ['add ns/a@5', 'add ns/b@11', 'update ns/b@12']);
    await informer.stop();
  });

  it('applies its transform to watched objects only when the list has applied it (listInPages)', async () => {
    const seen: string[] = [];
    const { api, informer } = setup({ transform: (o) => { seen.push(o.metadata!.name!); return o; }, listTransformed: true });
    api.items.set('a', cm('a', '5'));
    informer.start();
    await informer.waitForSync(1000);
    api.current().emit('ADDED', cm('b', '11'));
    assert.deepEqual(seen, ['b'], 'the listed object is not transformed a second time');
    await informer.stop();
  });
});
