// The agent with the kernel lease (issue 14), on the fake kernel with real lease expiry: a gateway
// claims (leases, announces) only with manager contact and an API confirmation; without contact its
// lease runs out by itself; a node that returns after its IP moved announces nothing; a new tenure
// forgets the flows of an earlier one.
import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { FakeConntrack, FakeLeaseTable } from '../kernel/fake-lease.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import type { RenderConfig } from '../render/types.js';
import { Fence } from '../fencing/fence.js';
import { LeaseKeeper } from '../fencing/lease-keeper.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { Agent } from './agent.js';

const render: RenderConfig = RENDER_FIXTURE;
const IP = '192.0.2.102'; // the fixture's IP held by n1

function setup() {
  const clock = new FakeClock(1_000_000);
  const lease = new FakeLeaseTable(clock);
  const conntrack = new FakeConntrack();
  const kernel = { ...createFakeKernel(['eth0']), lease, conntrack };
  const syncer = new NodeSyncer(kernel, { render, ranges: fixtureInput().ranges });
  const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
  const fence = new Fence(clock, 300);
  const api = { assigned: new Set([IP]) };
  const fencing = new SelfFencing({ clock, logger: silentLogger, fence, gauge: metrics.fenced, confirmHeld: async () => new Set(api.assigned) });
  const ref: { agent?: Agent } = {};
  const keeper = new LeaseKeeper({
    clock, table: lease, settings: { leaseMs: 300, lateToleranceMs: 100, restartLeaseMs: 10_000 },
    held: () => ref.agent!.heldAddresses, onLapsed: (ips) => ref.agent!.leasesLapsed(ips), onError: (e) => { throw e; },
  });
  const agent = new Agent({
    clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000, leaseMs: 300,
    inputs: ({ fenced, previousSlots, holdOnly }) => ({ ...fixtureInput(), fenced, ...(holdOnly ? { holdOnly } : {}), ...(previousSlots ? { previousSlots } : {}) }),
  });
  ref.agent = agent;
  /** The manager's probe, every 100 ms for `ms` (what healthzRoute does with a valid one). */
  const probed = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      const granted = keeper.probe(clock.now(), true);
      if (granted) fence.contact(granted);
      await clock.advanceAsync(100);
    }
  };
  return { clock, kernel, lease, conntrack, agent, fence, api, probed, start: () => agent.start({ syncer, render }) };
}

describe('Agent with the kernel lease', () => {
  it('claims only with contact and a confirmation: silent address first, then lease, forget, GARP', async () => {
    const { clock, kernel, lease, conntrack, agent, probed, start } = setup();
    start();
    await clock.advanceAsync(100);
    assert.deepEqual(kernel.addresses.addrs.map((a) => a.ip), [IP], 'added');
    assert.equal(lease.announces(IP), false, 'but silent: no contact yet');
    assert.equal(kernel.garp.sent.length, 0);
    await probed(300);
    assert.equal(lease.announces(IP), true, 'contact + the API confirmed: leased');
    assert.deepEqual(kernel.garp.sent.map((g) => g.ip), [IP], 'announced once leased');
    assert.ok(conntrack.forgotten.includes(IP), 'flows of an earlier tenure forgotten');
    await probed(2_000);
    assert.equal(lease.announces(IP), true, 'vouching probes keep it');
    await agent.stop();
  });

  it('without contact the lease runs out (silent) and the address goes; back after the IP moved: nothing announced', async () => {
    const { clock, kernel, lease, agent, api, probed, start } = setup();
    start();
    await probed(500);
    const garps = kernel.garp.sent.length;
    await clock.advanceAsync(301); // partitioned: no probe
    assert.equal(lease.announces(IP), false, 'the kernel went silent on its own');
    await clock.advanceAsync(200);
    assert.deepEqual(kernel.addresses.addrs, [], 'fenced: the address went too');
    api.assigned.clear(); // meanwhile the manager moved it
    await probed(2_000); // contact again; the cache still says ours
    assert.deepEqual(kernel.addresses.addrs, []);
    assert.equal(lease.announces(IP), false);
    assert.equal(kernel.garp.sent.length, garps, 'no announcement for an IP that moved');
    await agent.stop();
  });
});
