import assert from 'node:assert/strict';
import { LeastLoaded } from './least-loaded.js';

describe('LeastLoaded', () => {
  const nodes = () => [3, 0, 2, 0, 1].map((load, index) => ({ index, load }));

  it('pops by load, then by index', () => {
    const q = new LeastLoaded(nodes());
    const out: number[] = [];
    for (let n = q.pop(); n; n = q.pop()) out.push(n.index);
    assert.deepEqual(out, [1, 3, 4, 2, 0]);
  });

  it('requeues a node whose load grew while queued at its current load', () => {
    const ns = nodes();
    const q = new LeastLoaded(ns);
    ns[1]!.load = 2; // placed on through another pool
    assert.equal(q.pop()!.index, 3);
    assert.equal(q.pop()!.index, 4);
    assert.deepEqual([q.pop()!.index, q.pop()!.index], [1, 2]); // load 2: by index
  });
});
