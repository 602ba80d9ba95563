// The manager's orders on the probe channel, as the agent applies them (issue 16 §1, §3).
import assert from 'node:assert/strict';
import { FakeClock, createRegistry, probeHeaders, probeKeyFromText, ProbeVerifier, silentLogger, PROBE_AUTH_HEADER, PROBE_ORDER_HEADER, type ProbeOrder } from '@static-egress/controller-kit';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { Fence } from '../fencing/fence.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import { Agent } from './agent.js';
import { verifyProbe } from './health.js';
import { applyOrders, computeOrderBook, holdersOf, holdersOfStatuses, Orders } from './orders.js';

const claim = (ip: string): ProbeOrder => ({ claim: [ip], release: [] });
const release = (ip: string): ProbeOrder => ({ claim: [], release: [ip] });

describe('agent orders (pure)', () => {
  const policies = fixtureInput().policies; // db: .100 on n2, .101 on n3; api: .102 on n1 (us)
  const holders = holdersOf(policies);

  it('a claim assigns the IP to us and a release takes it from us, while the cache still shows what it showed', () => {
    let book = computeOrderBook(new Map(), claim('192.0.2.100'), 1_000, 5, holders);
    book = computeOrderBook(book, release('192.0.2.102'), 1_000, 5, holders);
    const { policies: out, book: kept } = applyOrders(policies, book, 'n1', 10);
    assert.equal(holdersOf(out).get('192.0.2.100'), 'n1');
    assert.equal(holdersOf(out).has('192.0.2.102'), false);
    assert.equal(holdersOf(out).get('192.0.2.101'), 'n3', 'other IPs as the cache says');
    assert.equal(kept.size, 2);
    assert.equal(holdersOf(policies).get('192.0.2.100'), 'n2', 'the cache\'s policies are not changed');
  });

  it('ends when the status comes (whatever it says), after its hold, or when the cache already agrees', () => {
    const book = computeOrderBook(new Map(), claim('192.0.2.100'), 1_000, 0, holders);
    const moved = policies.map((p) => (p.key === 'shop/db' ? { ...p, assignments: new Map([['192.0.2.100', 'n4'], ['192.0.2.101', 'n3']]) } : p));
    assert.equal(holdersOf(applyOrders(moved, book, 'n1', 10).policies).get('192.0.2.100'), 'n4', 'a newer status decides');
    assert.equal(applyOrders(moved, book, 'n1', 10).book.size, 0);
    assert.equal(holdersOf(applyOrders(policies, book, 'n1', 700).policies).get('192.0.2.100'), 'n1', 'within the default hold');
    assert.equal(holdersOf(applyOrders(policies, book, 'n1', 751).policies).get('192.0.2.100'), 'n2', 'no status within the default hold: forgotten');
    const held = computeOrderBook(new Map(), { ...claim('192.0.2.100'), holdMs: 200 }, 1_000, 0, holders);
    assert.equal(holdersOf(applyOrders(policies, held, 'n1', 199).policies).get('192.0.2.100'), 'n1');
    assert.equal(holdersOf(applyOrders(policies, held, 'n1', 201).policies).get('192.0.2.100'), 'n2', 'the order\'s own hold: forgotten after it');
    const mine = policies.map((p) => (p.key === 'shop/db' ? { ...p, assignments: new Map([['192.0.2.100', 'n1']]) } : p));
    assert.equal(applyOrders(mine, computeOrderBook(new Map(), claim('192.0.2.100'), 1_000, 0, holdersOf(mine)), 'n1', 10).book.size, 0);
  });

  it('an older order for an IP than the one applied is ignored (probes overtake each other)', () => {
    let book = computeOrderBook(new Map(), release('192.0.2.100'), 2_000, 0, holders);
    book = computeOrderBook(book, claim('192.0.2.100'), 1_000, 1, holders);
    assert.equal(book.get('192.0.2.100')?.claim, false);
  });

  it('reads the holders from the cache\'s raw statuses', () => {
    assert.deepEqual(holdersOfStatuses([{ status: { assignments: [{ egressIP: '192.0.2.100', node: 'n2' }, { egressIP: 'bad', node: 'x' }] } }, {}]), new Map([['192.0.2.100', 'n2']]));
  });
});

describe('Agent: acting on an order', () => {
  function setup() {
    const clock = new FakeClock(1_000_000);
    const kernel = createFakeKernel(['eth0']);
    const syncer = new NodeSyncer(kernel, { render: RENDER_FIXTURE, ranges: fixtureInput().ranges });
    const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
    const fencing = new SelfFencing({ clock, logger: silentLogger, fence: new Fence(clock, 3000), gauge: metrics.fenced, confirmHeld: async () => new Set<string>() });
    const orders = new Orders('n1', () => clock.now());
    let input = fixtureInput();
    const agent = new Agent({
      clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000,
      inputs: ({ fenced, previousSlots }) => ({ ...input, policies: orders.apply(input.policies), fenced, ...(previousSlots ? { previousSlots } : {}) }),
    });
    agent.start({ syncer, render: RENDER_FIXTURE });
    const held = () => kernel.addresses.addrs.map((a) => a.ip).sort();
    return { clock, agent, orders, held, kernel, setInput: (i: typeof input) => { input = i; } };
  }

  it('claims at once on an order and answers after the pass; the status that follows decides', async () => {
    const { clock, agent, orders, held, setInput } = setup();
    await clock.advanceAsync(100);
    assert.deepEqual(held(), ['192.0.2.102']);
    agent.markDirty('event'); // a pass just ran: an order must not wait for the minimum interval (50 ms)
    await clock.advanceAsync(0);
    orders.record(claim('192.0.2.100'), clock.now(), holdersOf(fixtureInput().policies));
    let answered = false;
    void agent.passSoon().then(() => { answered = true; });
    await clock.advanceAsync(0);
    assert.ok(answered, 'the answer waits for one pass, no longer');
    assert.deepEqual(held(), ['192.0.2.100', '192.0.2.102'], 'claimed before any status named us');
    // the leader's next status gives it to n4 instead (a later pass): the order ends, the status decides
    const i = fixtureInput();
    setInput({ ...i, policies: i.policies.map((p) => (p.key === 'shop/db' ? { ...p, assignments: new Map([['192.0.2.100', 'n4']]) } : p)) });
    agent.markDirty('event');
    await clock.advanceAsync(100);
    assert.deepEqual(held(), ['192.0.2.102']);
    await agent.stop();
  });

  it('releases at once on an order', async () => {
    const { clock, agent, orders, held } = setup();
    await clock.advanceAsync(100);
    orders.record(release('192.0.2.102'), clock.now(), holdersOf(fixtureInput().policies));
    await Promise.all([agent.passSoon(), clock.advanceAsync(60)]);
    assert.deepEqual(held(), []);
    await agent.stop();
  });

  it('answers a release once its address is gone, not after the rest of the pass (issue 16 §3)', async () => {
    const { clock, agent, orders, held, kernel } = setup();
    await clock.advanceAsync(100);
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const restore = kernel.iptables.restore.bind(kernel.iptables);
    kernel.iptables.restore = async (text) => { await gate; return restore(text); }; // the pass's SNAT restore hangs
    orders.record(release('192.0.2.102'), clock.now(), holdersOf(fixtureInput().policies));
    let answered = false;
    const answer = agent.passSoon(() => !agent.heldAddresses?.has('192.0.2.102')).then(() => { answered = true; });
    let plain = false;
    void agent.passSoon().then(() => { plain = true; });
    await clock.advanceAsync(60);
    assert.deepEqual(held(), [], 'the address went first');
    assert.ok(answered, 'answered while the pass is still in its iptables restore');
    assert.ok(!plain, 'an answer without a condition still waits for the pass');
    open();
    await answer;
    await clock.advanceAsync(10);
    assert.ok(plain);
    await agent.stop();
  });
});

describe('healthz: an order is taken only when signed with its probe', () => {
  const key = probeKeyFromText('0123456789abcdef0123456789abcdef');
  const other = probeKeyFromText('fedcba9876543210fedcba9876543210');

  it('reads a signed order; refuses a forged one (no contact, no order) and a replay', () => {
    const o = { verifier: new ProbeVerifier({ key, node: 'n1' }), now: () => 1_000 };
    const h = probeHeaders(key, 'n1', 1_000, { renew: true, run: 'run-1', order: claim('192.0.2.100') });
    assert.deepEqual(verifyProbe(o, h[PROBE_AUTH_HEADER], undefined, h[PROBE_ORDER_HEADER]).order, { order: claim('192.0.2.100'), sentAt: 1_000 });
    assert.deepEqual(verifyProbe(o, h[PROBE_AUTH_HEADER], undefined, h[PROBE_ORDER_HEADER]), { contact: null }, 'replayed');
    const h2 = probeHeaders(key, 'n1', 1_000, { renew: true });
    const forged = probeHeaders(other, 'n1', 1_000, { renew: true, order: claim('192.0.2.100') })[PROBE_ORDER_HEADER];
    assert.deepEqual(verifyProbe(o, h2[PROBE_AUTH_HEADER], undefined, forged), { contact: null });
  });
});
