// The agent in a dual-stack cluster (issue 11): one pass syncs the IPv4 state into the IPv4 kernel
// capabilities and the IPv6 state into the IPv6 ones; neither holds the other family's addresses,
// and a full resync of a steady cluster changes nothing in either.
import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { dualStackInput, fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { Fence } from '../fencing/fence.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { ipv6RenderConfig } from '../render/family.js';
import type { RenderConfig } from '../render/types.js';
import { Agent } from './agent.js';

const render: RenderConfig = RENDER_FIXTURE;

function setup(input: ReturnType<typeof dualStackInput> | ReturnType<typeof fixtureInput>) {
  const clock = new FakeClock();
  const k4 = createFakeKernel(['eth0']);
  const k6 = createFakeKernel(['eth0']);
  const ranges = fixtureInput().ranges;
  const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
  const fencing = new SelfFencing({ clock, logger: silentLogger, fence: new Fence(clock, 3000), gauge: metrics.fenced, confirmHeld: async () => new Set(['192.0.2.102', '2001:db8:0:2::102']) });
  const reported: { addresses: string[] } = { addresses: [] };
  const agent = new Agent({
    clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000, onSynced: (s) => { reported.addresses = s.addresses; },
    inputs: ({ fenced, previousSlots, holdOnly }) => ({ ...input, fenced, ...(holdOnly ? { holdOnly } : {}), ...(previousSlots ? { previousSlots } : {}) }),
  });
  const cfg6 = ipv6RenderConfig(render);
  agent.start({ syncer: new NodeSyncer(k4, { render, ranges }), render, v6: { syncer: new NodeSyncer(k6, { render: cfg6, ranges }), render: cfg6 } });
  return { clock, k4, k6, agent, reported };
}

describe('Agent, dual stack', () => {
  it('each family in its own kernel capabilities: addresses, sets, chains, rules and routes', async () => {
    const { clock, k4, k6, agent, reported } = setup(dualStackInput());
    await clock.advanceAsync(100);
    assert.deepEqual(reported.addresses, ['192.0.2.102', '2001:db8:0:2::102'], 'the node report holds both families');
    assert.deepEqual([...agent.heldAddresses!].sort(), ['192.0.2.102', '2001:db8:0:2::102']);
    assert.deepEqual(k4.addresses.addrs.map((a) => a.ip), ['192.0.2.102']);
    assert.deepEqual(k6.addresses.addrs.map((a) => a.ip), ['2001:db8:0:2::102']);
    assert.ok([...k6.ipset.sets.keys()].every((n) => n.startsWith('segress6-')) && k6.ipset.sets.size === 3);
    assert.ok([...k6.ipset.sets.values()].every((s) => s.family === 'inet6'));
    assert.ok([...k4.ipset.sets.keys()].every((n) => n.startsWith('segress-')));
    assert.deepEqual(k6.routes.routes.map((r) => r.gateway), ['2001:db8:0:2::100']);
    assert.ok(k4.routes.routes.every((r) => !r.gateway?.includes(':')));
    assert.match((await k6.iptables.save()).toString(), /SNAT --to-source 2001:db8:0:2::102/);
    assert.doesNotMatch((await k4.iptables.save()).toString(), /2001:db8/);
    const restores = [k4.iptables.restores, k6.iptables.restores, k6.ipset.restores];
    await clock.advanceAsync(10_000); // a full resync of a steady cluster
    assert.deepEqual([k4.iptables.restores, k6.iptables.restores, k6.ipset.restores], restores);
    await agent.stop();
  });

  it('an IPv4-only cluster: the IPv6 syncer holds nothing', async () => {
    const { clock, k4, k6, agent } = setup(fixtureInput());
    await clock.advanceAsync(100);
    assert.equal(k4.addresses.addrs.length, 1);
    assert.deepEqual([k6.addresses.addrs, k6.ipset.sets.size, k6.routes.routes], [[], 0, []]);
    await agent.stop();
  });
});
