import assert from 'node:assert/strict';
import { createInformerMetrics, createLeaderGauge, createRegistry } from './metrics.js';

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
    const pods = createInformerMetrics(r, 'pods');
    const nodes = createInformerMetrics(r, 'nodes');
    pods.synced(true);
    nodes.synced(false);
    nodes.restarted();
    createInformerMetrics(r, 'pods').restarted();
    const text = await r.metrics();
    assert.match(text, /^static_egress_leader 1$/m);
    assert.match(text, /^static_egress_informer_synced\{resource="pods"\} 1$/m);
    assert.match(text, /^static_egress_informer_synced\{resource="nodes"\} 0$/m);
    assert.match(text, /^static_egress_informer_restarts_total\{resource="pods"\} 1$/m);
  });
});
