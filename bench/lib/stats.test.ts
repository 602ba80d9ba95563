import assert from 'node:assert/strict';
import { percentile, summarize } from './stats.js';

describe('bench stats', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 99), 99);
    assert.equal(percentile(v, 100), 100);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
  it('summarizes', () => {
    assert.deepEqual(summarize([3, 1, 2]), { n: 3, p50: 2, p99: 3, max: 3, min: 1 });
  });
});
