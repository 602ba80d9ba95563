import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { fixtureInput } from '../desired/fixtures.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import type { RenderConfig } from '../render/types.js';
import { Agent } from './agent.js';
import { Fence } from './fence.js';

const render: RenderConfig = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };

function setup() {
  const clock = new FakeClock();
  const kernel = createFakeKernel(['eth0']);
  const syncer = new NodeSyncer(kernel, { render, ranges: fixtureInput().ranges });
  const registry = createRegistry('static_egress_', { defaultMetrics: false });
  const metrics = createAgentMetrics(registry, async () => emptyEgressCounters());
  const fence = new Fence(clock, 3000);
  let input = fixtureInput();
  const agent = new Agent({
    clock, logger: silentLogger, syncer, metrics, render, fence, resyncIntervalMs: 10_000,
    inputs: ({ fenced, previousSlots }) => ({ ...input, fenced, ...(previousSlots ? { previousSlots } : {}) }),
  });
  return { clock, kernel, agent, fence, registry, setInput: (i: typeof input) => { input = i; } };
}

describe('Agent', () => {
  it('syncs on start, batches events into one sync, and resyncs periodically', async () => {
    const { clock, kernel, agent, setInput, registry } = setup();
    agent.start();
    await clock.advanceAsync(100);
    assert.equal(kernel.addresses.addrs.length, 1);
    const restores = kernel.iptables.restores;
    const input = fixtureInput();
    setInput({ ...input, policies: input.policies.slice(0, 2) });
    for (let i = 0; i < 10; i++) agent.markDirty('event');
    await clock.advanceAsync(100);
    assert.equal(kernel.iptables.restores, restores + 1);
    kernel.rules.rules = []; // hand damage
    await clock.advanceAsync(10_000);
    assert.equal(kernel.rules.rules.length, 1);
    assert.match(await registry.metrics(), /static_egress_agent_healed_total\{kind="rule"\} 1/);
    await agent.stop();
  });

  it('retries a failed sync with a full resync', async () => {
    const { clock, kernel, agent, registry } = setup();
    const restore = kernel.iptables.restore.bind(kernel.iptables);
    let fail = true;
    kernel.iptables.restore = async (t) => { if (fail) throw new Error('boom'); return restore(t); };
    agent.start();
    await clock.advanceAsync(100);
    assert.match(await registry.metrics(), /static_egress_agent_sync_failures_total 1/);
    fail = false;
    await clock.advanceAsync(1000);
    assert.equal(agent.synced, true);
    assert.equal(kernel.addresses.addrs.length, 1);
    await agent.stop();
  });

  it('drops egress addresses when fenced and takes them back on contact', async () => {
    const { clock, kernel, agent, fence } = setup();
    agent.start();
    await clock.advanceAsync(100);
    assert.equal(kernel.addresses.addrs.length, 1);
    await clock.advanceAsync(3500);
    assert.equal(kernel.addresses.addrs.length, 0);
    assert.ok(kernel.iptables.tables.nat!.has('SEGRESS-S-C0000266'), 'SNAT stays');
    fence.contact('manager');
    await clock.advanceAsync(300);
    assert.equal(kernel.addresses.addrs.length, 1);
    assert.equal(kernel.garp.sent.length, 2);
    await agent.stop();
  });
});
