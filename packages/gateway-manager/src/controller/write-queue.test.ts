// The write queue's order and coalescing (issue 16 §4), and its drain's bound: data path before
// conditions before Events, one place per object, a newer value replacing an older one waiting.
import assert from 'node:assert/strict';
import { WriteDrain } from './write-drain.js';
import { WritePriority, WriteQueue, type QueuedWrite } from './write-queue.js';

const drainAll = <V>(q: WriteQueue<V>): [string, V][] => {
  const out: [string, V][] = [];
  for (let w = q.take(); w; w = q.take()) {
    out.push([w.key, w.value]);
    q.done(w.key);
  }
  return out;
};

describe('WriteQueue', () => {
  it('hands out the data path first, then statuses, then Events, each line in order', () => {
    const q = new WriteQueue<string>();
    for (let i = 0; i < 3; i++) q.put(`event:${i}`, WritePriority.Event, `e${i}`);
    for (let i = 0; i < 3; i++) q.put(`status:cond-${i}`, WritePriority.Status, `c${i}`);
    q.put('status:lab', WritePriority.DataPath, 'moved');
    assert.deepEqual(drainAll(q).map(([, v]) => v), ['moved', 'c0', 'c1', 'c2', 'e0', 'e1', 'e2']);
    assert.equal(q.length, 0);
  });

  it('a newer value replaces the one waiting in its place, and keeps the more urgent priority', () => {
    const q = new WriteQueue<string>();
    q.put('a', WritePriority.Status, 'a1');
    q.put('b', WritePriority.Status, 'b1');
    q.put('a', WritePriority.Status, 'a2'); // same line: keeps its place
    assert.equal(q.length, 2);
    q.put('c', WritePriority.Status, 'c1');
    q.put('c', WritePriority.DataPath, 'c2'); // raised: jumps the line
    q.put('b', WritePriority.Event, 'b2'); // lowered: stays where it was
    assert.deepEqual(drainAll(q), [['c', 'c2'], ['a', 'a2'], ['b', 'b2']]);
  });

  it('does not hand out a key being written; its newer value goes once that write is done', () => {
    const q = new WriteQueue<string>();
    q.put('a', WritePriority.DataPath, 'a1');
    q.put('b', WritePriority.Status, 'b1');
    const first = q.take()!;
    assert.equal(first.value, 'a1');
    q.put('a', WritePriority.DataPath, 'a2');
    assert.equal(q.take()!.value, 'b1', 'a is being written: b goes first');
    assert.equal(q.take(), undefined);
    q.done('a');
    assert.equal(q.take()!.value, 'a2');
  });

  it('refuses new keys beyond a line\'s limit but still takes updates of waiting ones', () => {
    const q = new WriteQueue<string>({ [WritePriority.Event]: 2 });
    assert.equal(q.put('e1', WritePriority.Event, '1'), true);
    assert.equal(q.put('e2', WritePriority.Event, '2'), true);
    assert.equal(q.put('e3', WritePriority.Event, '3'), false);
    assert.equal(q.put('e1', WritePriority.Event, '1b'), true);
    assert.equal(q.put('s1', WritePriority.Status, 's'), true, 'other lines have no limit');
    assert.deepEqual(drainAll(q).map(([k]) => k), ['s1', 'e1', 'e2']);
  });

  it('clear forgets what waits', () => {
    const q = new WriteQueue<string>();
    q.put('a', WritePriority.Status, 'a');
    q.clear();
    assert.equal(q.length, 0);
    assert.equal(q.take(), undefined);
  });
});

/** A writer whose writes finish when the test says so. */
function gatedWriter() {
  const pending: { w: QueuedWrite<string>; finish: (err?: Error) => void }[] = [];
  const write = (w: QueuedWrite<string>) => new Promise<void>((resolve, reject) => {
    pending.push({ w, finish: (err) => (err ? reject(err) : resolve()) });
  });
  return { pending, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WriteDrain', () => {
  it('keeps at most `concurrency` writes in flight and writes everything queued, most urgent first', async () => {
    const q = new WriteQueue<string>();
    const g = gatedWriter();
    const done: string[] = [];
    const drain = new WriteDrain({ queue: q, concurrency: 2, write: g.write, onDone: (w) => done.push(w.value) });
    for (let i = 0; i < 5; i++) q.put(`c${i}`, WritePriority.Status, `c${i}`);
    drain.kick();
    assert.deepEqual(g.pending.map((p) => p.w.value), ['c0', 'c1']);
    q.put('lab', WritePriority.DataPath, 'lab'); // arrives while 1,000s of conditions wait
    drain.kick();
    assert.equal(g.pending.length, 2, 'the bound holds');
    g.pending.shift()!.finish();
    await tick();
    assert.equal(g.pending.at(-1)!.w.value, 'lab', 'the data path write takes the first free slot');
    const idle = drain.idle();
    while (g.pending.length) {
      g.pending.shift()!.finish();
      await tick();
    }
    await idle;
    assert.deepEqual(done, ['c0', 'c1', 'lab', 'c2', 'c3', 'c4']);
  });

  it('reports a failed write and goes on with the rest', async () => {
    const q = new WriteQueue<string>();
    const failed: string[] = [];
    const written: string[] = [];
    const drain = new WriteDrain({
      queue: q, concurrency: 1,
      write: async (w) => { if (w.value === 'bad') throw new Error('409'); written.push(w.value); },
      onDone: (w, err) => { if (err) failed.push(w.value); },
    });
    for (const v of ['a', 'bad', 'b']) q.put(v, WritePriority.Status, v);
    drain.kick();
    await drain.idle();
    assert.deepEqual(written, ['a', 'b']);
    assert.deepEqual(failed, ['bad']);
  });

  it('stop drops what waits and waits for the write in flight', async () => {
    const q = new WriteQueue<string>();
    const g = gatedWriter();
    const drain = new WriteDrain({ queue: q, concurrency: 1, write: g.write });
    for (const v of ['a', 'b', 'c']) q.put(v, WritePriority.Status, v);
    drain.kick();
    let stopped = false;
    const stopping = drain.stop().then(() => { stopped = true; });
    await tick();
    assert.equal(stopped, false, 'a write is in flight');
    g.pending.shift()!.finish();
    await stopping;
    assert.equal(g.pending.length, 0, 'nothing started after stop');
    q.put('d', WritePriority.DataPath, 'd');
    drain.kick();
    assert.equal(g.pending.length, 0);
  });
});
