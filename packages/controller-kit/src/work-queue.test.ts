import assert from 'node:assert/strict';
import { FakeClock, flushMicrotasks } from './clock.js';
import { WorkQueue } from './work-queue.js';

/** A worker whose runs are released by the test, recording what ran and how many at once. */
function gatedWorker() {
  const started: string[] = [];
  const gates = new Map<string, Array<(err?: Error) => void>>();
  let inFlight = 0;
  let maxInFlight = 0;
  const worker = (key: string) =>
    new Promise<void>((resolve, reject) => {
      started.push(key);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const list = gates.get(key) ?? [];
      list.push((err) => {
        inFlight--;
        if (err) reject(err);
        else resolve();
      });
      gates.set(key, list);
    });
  const finish = async (key: string, err?: Error) => {
    const release = gates.get(key)?.shift();
    assert.ok(release, `${key} is not running`);
    release(err);
    await flushMicrotasks();
  };
  return { worker, started, finish, maxInFlight: () => maxInFlight, inFlight: () => inFlight };
}

describe('WorkQueue', () => {
  it('de-duplicates keys that are queued', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    const w = gatedWorker();
    void q.run(w.worker, { concurrency: 4 });
    await flushMicrotasks();
    assert.deepEqual(w.started, ['a', 'b']);
  });

  it('runs a key re-added while in flight once more afterwards, never concurrently', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const w = gatedWorker();
    void q.run(w.worker, { concurrency: 4 });
    q.add('a');
    await flushMicrotasks();
    q.add('a');
    q.add('a');
    await flushMicrotasks();
    assert.deepEqual(w.started, ['a']);
    assert.equal(w.inFlight(), 1);
    await w.finish('a');
    assert.deepEqual(w.started, ['a', 'a']);
    await w.finish('a');
    assert.deepEqual(w.started, ['a', 'a']);
    assert.equal(w.maxInFlight(), 1);
  });

  it('processes distinct keys up to the concurrency limit', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const w = gatedWorker();
    void q.run(w.worker, { concurrency: 2 });
    for (const k of ['a', 'b', 'c']) q.add(k);
    await flushMicrotasks();
    assert.deepEqual(w.started, ['a', 'b']);
    assert.equal(q.len(), 1);
    await w.finish('b');
    assert.deepEqual(w.started, ['a', 'b', 'c']);
  });

  it('retries a failing key with per-key exponential backoff and forgets it on success', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 5, maxDelayMs: 30, rateLimit: false });
    const w = gatedWorker();
    void q.run(w.worker);
    q.add('a');
    await flushMicrotasks();
    const retryTimes: number[] = [];
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) {
      await w.finish('a', new Error('boom'));
      assert.equal(q.numRequeues('a'), i + 1);
      const before = w.started.length;
      while (w.started.length === before) await clock.advanceAsync(1);
      retryTimes.push(clock.now() - t0);
    }
    // delays 5, 10, 20, 30 (capped), 30
    assert.deepEqual(retryTimes, [5, 15, 35, 65, 95]);
    await w.finish('a');
    assert.equal(q.numRequeues('a'), 0);
  });

  it('limits retries overall with the token bucket', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 1, rateLimit: { qps: 10, burst: 2 } });
    q.addRateLimited('a'); // per-key 1 ms, bucket free
    q.addRateLimited('b'); // per-key 1 ms, bucket free
    q.addRateLimited('c'); // bucket empty: 100 ms
    clock.advance(1);
    assert.equal(q.len(), 2);
    clock.advance(98);
    assert.equal(q.len(), 2);
    clock.advance(1);
    assert.equal(q.len(), 3);
  });

  it('addAfter keeps the earliest due time for a waiting key', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 10);
    q.addAfter('a', 50);
    clock.advance(10);
    assert.equal(q.len(), 1);
    clock.advance(100);
    assert.equal(q.len(), 1);
  });

  it('shutdown stops handing out keys, cancels delayed adds, and run() resolves after in-flight work', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const w = gatedWorker();
    let resolved = false;
    const running = q.run(w.worker).then(() => (resolved = true));
    q.add('a');
    q.add('b');
    q.addAfter('c', 10);
    await flushMicrotasks();
    q.shutdown();
    q.add('d');
    assert.equal(clock.pending(), 0);
    await flushMicrotasks();
    assert.equal(resolved, false);
    await w.finish('a');
    await running;
    assert.deepEqual(w.started, ['a']);
    assert.equal(q.len(), 0);
  });
});
