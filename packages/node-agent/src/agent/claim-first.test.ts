// A claim does not wait for a full sync's kernel read (issue 16 §1): when a pass that must re-read
// the kernel (periodic resync, damage) also takes over an address, the address is added on the model
// of the last apply first, and the full sync that heals follows in the same pass.
import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { Fence } from '../fencing/fence.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { Agent } from './agent.js';

function setup() {
  const clock = new FakeClock();
  const kernel = createFakeKernel(['eth0']);
  const syncer = new NodeSyncer(kernel, { render: RENDER_FIXTURE, ranges: fixtureInput().ranges });
  const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
  const fencing = new SelfFencing({ clock, logger: silentLogger, fence: new Fence(clock, 3000), gauge: metrics.fenced, confirmHeld: async () => new Set<string>() });
  let input = fixtureInput();
  const agent = new Agent({
    clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000,
    inputs: ({ fenced, previousSlots }) => ({ ...input, fenced, ...(previousSlots ? { previousSlots } : {}) }),
  });
  // what happened, in order: kernel reads (iptables-save) and address adds
  const events: string[] = [];
  const save = kernel.iptables.save.bind(kernel.iptables);
  kernel.iptables.save = async (o) => { events.push('read'); return save(o); };
  const add = kernel.addresses.add.bind(kernel.addresses);
  kernel.addresses.add = async (dev, ips) => { events.push(`add ${ips.join()}`); return add(dev, ips); };
  return { clock, kernel, agent, events, start: () => agent.start({ syncer, render: RENDER_FIXTURE }), setInput: (i: typeof input) => { input = i; } };
}

/** The fixture with db's .100 moved to this node (n1). */
function takeover(): ReturnType<typeof fixtureInput> {
  const i = fixtureInput();
  return { ...i, policies: i.policies.map((p) => (p.key === 'shop/db' ? { ...p, assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n3']]) } : p)) };
}

describe('Agent: a claim before the full read', () => {
  it('a pass that must re-read the kernel adds a new address first, then reads and heals', async () => {
    const { clock, kernel, agent, events, start, setInput } = setup();
    start();
    await clock.advanceAsync(100);
    assert.deepEqual(events, ['read', 'add 192.0.2.102']); // the startup sync reads first: nothing is known yet
    events.length = 0;
    kernel.rules.rules = []; // damage: the next pass is a full one
    setInput(takeover());
    agent.markDamaged('damage:rule');
    await clock.advanceAsync(100);
    assert.deepEqual(events, ['add 192.0.2.100', 'read']);
    assert.deepEqual(kernel.addresses.addrs.map((a) => a.ip).sort(), ['192.0.2.100', '192.0.2.102']);
    assert.ok(kernel.rules.rules.length > 0, 'the full sync of the same pass healed the rules');
    await agent.stop();
  });

  it('a full pass that claims nothing reads first, as before', async () => {
    const { clock, agent, events, start } = setup();
    start();
    await clock.advanceAsync(100);
    events.length = 0;
    agent.markDamaged('damage:rule');
    await clock.advanceAsync(100);
    assert.deepEqual(events, ['read']);
    await agent.stop();
  });
});
