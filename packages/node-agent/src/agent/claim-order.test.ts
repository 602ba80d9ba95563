// A standby's claim straight from the manager's order (issue 16 §1): lease, address and GARP before
// the pass the order also asks for computes anything; the pass then finds the address in place (no
// second add, no second GARP) and the flows of an earlier tenure are forgotten after the GARP. Not
// for an IP this node does not stand by for, nor while fenced.
import assert from 'node:assert/strict';
import { FakeClock, createRegistry, silentLogger } from '@static-egress/controller-kit';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { Fence } from '../fencing/fence.js';
import { LeaseKeeper } from '../fencing/lease-keeper.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { FakeConntrack, FakeLeaseTable } from '../kernel/fake-lease.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { Agent } from './agent.js';
import { Orders } from './orders.js';

const HELD = '192.0.2.102'; // the fixture's IP held by n1
const DB = '192.0.2.100'; // db's, held by n2; n1 stands by for it

function setup() {
  const clock = new FakeClock(1_000_000);
  const lease = new FakeLeaseTable(clock);
  const conntrack = new FakeConntrack();
  const kernel = { ...createFakeKernel(['eth0']), lease, conntrack };
  const syncer = new NodeSyncer(kernel, { render: RENDER_FIXTURE, ranges: fixtureInput().ranges });
  const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
  const fence = new Fence(clock, 300);
  const fencing = new SelfFencing({ clock, logger: silentLogger, fence, gauge: metrics.fenced, confirmHeld: async () => new Set([HELD]) });
  const orders = new Orders('n1', () => clock.now());
  const events: string[] = [];
  const ref: { agent?: Agent } = {};
  const keeper = new LeaseKeeper({
    clock, table: lease, settings: { leaseMs: 300, lateToleranceMs: 100, restartLeaseMs: 10_000 },
    held: () => ref.agent!.heldAddresses, onLapsed: (ips) => ref.agent!.leasesLapsed(ips), onError: (e) => { throw e; },
  });
  const agent = ref.agent = new Agent({
    clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000, leaseMs: 300,
    inputs: ({ fenced, previousSlots, holdOnly }) => {
      events.push('compute');
      const input = fixtureInput({ standbyFor: (ip) => ip === DB });
      return { ...input, policies: orders.apply(input.policies), fenced, ...(holdOnly ? { holdOnly } : {}), ...(previousSlots ? { previousSlots } : {}) };
    },
  });
  const add = kernel.addresses.add.bind(kernel.addresses);
  kernel.addresses.add = async (dev, ips) => { events.push(`add ${ips.join()}`); return add(dev, ips); };
  const probed = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      const granted = keeper.probe(clock.now(), true);
      if (granted) fence.contact(granted);
      await clock.advanceAsync(100);
    }
  };
  agent.start({ syncer, render: RENDER_FIXTURE });
  return { clock, kernel, lease, conntrack, agent, orders, events, probed };
}

describe('Agent: a standby claims straight from the order', () => {
  it('leases, adds and announces before the pass computes; the pass adds and announces nothing again', async () => {
    const { clock, kernel, lease, conntrack, agent, orders, events, probed } = setup();
    await probed(300);
    assert.ok(agent.lastState?.standby?.some((s) => s.egressIP === DB), 'n1 stands by for db\'s IP');
    events.length = 0;
    kernel.garp.sent.length = 0;
    orders.record({ claim: [DB], release: [] }, clock.now(), new Map([[DB, 'n2']]));
    const claimed = agent.claimFromOrder([DB]);
    const pass = agent.passSoon();
    assert.deepEqual(await claimed, [DB]);
    await Promise.all([pass, clock.advanceAsync(10)]);
    assert.deepEqual(events, [`add ${DB}`, 'compute'], 'the address before the pass computed; the pass added nothing');
    assert.deepEqual(kernel.garp.sent.map((g) => g.ip), [DB], 'one GARP');
    assert.ok(lease.announces(DB), 'leased');
    assert.ok(conntrack.forgotten.includes(DB), 'the flows of an earlier tenure here are forgotten');
    assert.deepEqual([...agent.heldAddresses!].sort(), [DB, HELD]);
    await agent.stop();
  });

  it('takes the lease and adds the address at once; the GARP waits for both', async () => {
    const { clock, kernel, lease, agent, orders, probed } = setup();
    await probed(300);
    kernel.garp.sent.length = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const claim = lease.claim.bind(lease);
    lease.claim = async (ips, ms) => { await gate; return claim(ips, ms); };
    orders.record({ claim: [DB], release: [] }, clock.now(), new Map([[DB, 'n2']]));
    const claimed = agent.claimFromOrder([DB]);
    await clock.advanceAsync(0);
    assert.ok(kernel.addresses.addrs.some((a) => a.ip === DB), 'the address is in while the lease claim is still out');
    assert.equal(kernel.garp.sent.length, 0, 'no GARP before the lease');
    open();
    assert.deepEqual(await claimed, [DB]);
    assert.deepEqual(kernel.garp.sent.map((g) => g.ip), [DB]);
    await agent.stop();
  });

  it('claims nothing it does not stand by for, nor what it holds (the pass does what there is to do)', async () => {
    const { agent, kernel, probed } = setup();
    await probed(300);
    assert.deepEqual(await agent.claimFromOrder(['192.0.2.101']), [], 'n1 does not stand by for .101');
    assert.deepEqual(await agent.claimFromOrder([HELD]), [], 'already held');
    assert.deepEqual(kernel.addresses.addrs.map((a) => a.ip), [HELD]);
    await agent.stop();
  });

  it('claims nothing while a sync is in flight (the pass after it claims)', async () => {
    const { clock, kernel, agent, probed } = setup();
    await probed(300);
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const save = kernel.iptables.save.bind(kernel.iptables);
    kernel.iptables.save = async (o) => { await gate; return save(o); };
    agent.markDamaged('damage:rule'); // a full pass starts and hangs reading the kernel
    await clock.advanceAsync(60);
    assert.deepEqual(await agent.claimFromOrder([DB]), []);
    open();
    await clock.advanceAsync(10);
    await agent.stop();
  });

  it('claims nothing without contact (the lease may not be claimed)', async () => {
    const { clock, agent, probed } = setup();
    await probed(300);
    await clock.advanceAsync(2_000); // no probe: the claim is no longer allowed
    assert.deepEqual(await agent.claimFromOrder([DB]), []);
    await agent.stop();
  });
});
