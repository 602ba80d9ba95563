import assert from 'node:assert/strict';
import { createLeaderGauge, createRegistry, createWorkQueueMetrics } from './metrics.js';

describe('metrics', () => {
  it('creates an isolated registry with prefixed default metrics', async () => {
    const a = createRegistry('static_egress_');
    const b = createRegistry('other_');
    assert.match(await a.metrics(), /^static_egress_process_cpu_user_seconds_total/m);
    assert.doesNotMatch(await b.metrics(), /static_egress_/);
  });

  it('helpers register once per registry and carry the prefix', async () => {
    const r = createRegistry('static_egress_', { defaultMetrics: false });
    const g = createLeaderGauge(r);
    assert.equal(createLeaderGauge(r), g);
    g.set(1);
    const q1 = createWorkQueueMetrics(r, 'policies');
    const q2 = createWorkQueueMetrics(r, 'nodes');
    q1.added();
    q2.added();
    q2.depth(3);
    q1.processed(0.002, false);
    const text = await r.metrics();
    assert.match(text, /^static_egress_leader 1$/m);
    assert.match(text, /^static_egress_workqueue_adds_total\{queue="policies"\} 1$/m);
    assert.match(text, /^static_egress_workqueue_depth\{queue="nodes"\} 3$/m);
    assert.match(text, /static_egress_workqueue_work_duration_seconds_count\{queue="policies",result="error"\} 1/);
  });
});
