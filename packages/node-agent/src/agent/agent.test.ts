import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import type { RenderConfig } from '../render/types.js';
import { Fence } from '../fencing/fence.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { Agent } from './agent.js';

const render: RenderConfig = RENDER_FIXTURE;

function setup() {
  const clock = new FakeClock();
  const kernel = createFakeKernel(['eth0']);
  const syncer = new NodeSyncer(kernel, { render, ranges: fixtureInput().ranges });
  const registry = createRegistry('static_egress_', { defaultMetrics: false });
  const metrics = createAgentMetrics(registry, async () => emptyEgressCounters());
  const fence = new Fence(clock, 3000);
  let input = fixtureInput();
  // The API server's truth, apart from the cache (`input`): what a fresh list assigns to this node.
  const api = { assigned: new Set(['192.0.2.102']), lists: 0, fail: undefined as Error | 'hang' | undefined };
  const fencing = new SelfFencing({
    clock, logger: silentLogger, fence, gauge: metrics.fenced,
    confirmHeld: () => {
      api.lists++;
      if (api.fail === 'hang') return new Promise(() => {});
      return api.fail ? Promise.reject(api.fail) : Promise.resolve(new Set(api.assigned));
    },
  });
  const agent = new Agent({
    clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000,
    inputs: ({ fenced, previousSlots, holdOnly }) => ({ ...input, fenced, ...(holdOnly ? { holdOnly } : {}), ...(previousSlots ? { previousSlots } : {}) }),
  });
  const start = () => agent.start({ syncer, render });
  return { clock, kernel, agent, start, fence, registry, api, setInput: (i: typeof input) => { input = i; } };
}

describe('Agent', () => {
  it('syncs on start, batches events into one sync, and resyncs periodically', async () => {
    const { clock, kernel, agent, start, setInput, registry } = setup();
    start();
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

  it('markDamaged (a kernel event): the next sync re-reads the kernel at once and heals, long before the resync', async () => {
    const { clock, kernel, agent, start, registry } = setup();
    start();
    await clock.advanceAsync(100);
    const rules = kernel.rules.rules.length;
    kernel.rules.rules = []; // another program deletes our ip rules
    kernel.guard.state = null; // and our guard table
    agent.markDamaged('damage:rule');
    await clock.advanceAsync(100);
    assert.equal(kernel.rules.rules.length, rules);
    assert.ok(kernel.guard.state);
    const m = await registry.metrics();
    assert.match(m, new RegExp(`static_egress_agent_healed_total\\{kind="rule"\\} ${rules}`));
    assert.match(m, /static_egress_agent_healed_total\{kind="guard"\} 1/);
    await agent.stop();
  });

  it('retries a failed sync with a full resync', async () => {
    const { clock, kernel, agent, start, registry } = setup();
    const restore = kernel.iptables.restore.bind(kernel.iptables);
    let fail = true;
    kernel.iptables.restore = async (t) => { if (fail) throw new Error('boom'); return restore(t); };
    start();
    await clock.advanceAsync(100);
    assert.match(await registry.metrics(), /static_egress_agent_sync_failures_total 1/);
    fail = false;
    await clock.advanceAsync(1000);
    assert.equal(agent.synced, true);
    assert.equal(kernel.addresses.addrs.length, 1);
    await agent.stop();
  });

  it('drops egress addresses when fenced and takes them back on contact, once the API confirms them', async () => {
    const { clock, kernel, agent, start, fence, api } = setup();
    start();
    await clock.advanceAsync(100);
    assert.equal(kernel.addresses.addrs.length, 1);
    await clock.advanceAsync(3500);
    assert.equal(kernel.addresses.addrs.length, 0);
    assert.ok(kernel.iptables.tables.nat!.has('SEGRESS-S-C0000266'), 'SNAT stays');
    assert.equal(api.lists, 0, 'no contact, no confirmation');
    fence.contact();
    await clock.advanceAsync(300);
    assert.equal(api.lists, 1);
    assert.equal(kernel.addresses.addrs.length, 1);
    assert.equal(kernel.garp.sent.length, 2);
    assert.equal(agent.fenced, false);
    await agent.stop();
  });

  it('after a partition, does not take back an IP the API says has moved, though its stale cache still assigns it', async () => {
    const { clock, kernel, agent, start, fence, api, setInput } = setup();
    start();
    await clock.advanceAsync(100);
    await clock.advanceAsync(3500); // partitioned: fenced
    assert.equal(kernel.addresses.addrs.length, 0);
    api.assigned.clear(); // meanwhile the manager moved 192.0.2.102 to another node
    fence.contact(); // the LAN is back; the watches are still silent
    for (let i = 0; i < 30; i++) { await clock.advanceAsync(100); fence.contact(); }
    assert.equal(agent.fenced, false, 'contact and a confirmation: no longer fenced');
    assert.deepEqual(kernel.addresses.addrs, [], 'the stale cache alone does not bring the address back');
    assert.ok(api.lists >= 2, 'asks again while the cache still disagrees');
    assert.ok(kernel.iptables.tables.nat!.has('SEGRESS-S-C0000266'), 'SNAT for flows that still arrive stays');

    // The cache catches up (the IP is no longer ours), then the IP is assigned here again: it follows the cache.
    const full = fixtureInput();
    setInput({ ...full, policies: [] });
    agent.markDirty('event');
    await clock.advanceAsync(300);
    setInput(full);
    api.assigned.add('192.0.2.102');
    agent.markDirty('event');
    await clock.advanceAsync(300);
    assert.equal(kernel.addresses.addrs.length, 1, 'no restriction once the cache agreed with the API');
    await agent.stop();
  });

  it('an IP reassigned here while the cache was stale is taken back at the next confirmation', async () => {
    const { clock, kernel, agent, start, fence, api } = setup();
    start();
    await clock.advanceAsync(3600);
    api.assigned.clear();
    fence.contact();
    await clock.advanceAsync(300);
    assert.equal(kernel.addresses.addrs.length, 0);
    api.assigned.add('192.0.2.102'); // back to us before our watch caught up
    for (let i = 0; i < 15; i++) { await clock.advanceAsync(100); fence.contact(); }
    assert.equal(kernel.addresses.addrs.length, 1);
    await agent.stop();
  });

  it('stays fenced while the API cannot confirm (error, or no answer within the timeout)', async () => {
    const { clock, kernel, agent, start, fence, api } = setup();
    start();
    await clock.advanceAsync(3600);
    assert.equal(agent.fenced, true);
    api.fail = 'hang';
    fence.contact();
    for (let i = 0; i < 25; i++) { await clock.advanceAsync(100); fence.contact(); }
    assert.equal(agent.fenced, true);
    assert.equal(kernel.addresses.addrs.length, 0);
    api.fail = new Error('connection refused');
    for (let i = 0; i < 15; i++) { await clock.advanceAsync(100); fence.contact(); }
    assert.equal(agent.fenced, true);
    assert.ok(api.lists >= 2, 'retried after the hung one timed out');
    api.fail = undefined;
    for (let i = 0; i < 15; i++) { await clock.advanceAsync(100); fence.contact(); }
    assert.equal(agent.fenced, false);
    assert.equal(kernel.addresses.addrs.length, 1);
    await agent.stop();
  });
});
