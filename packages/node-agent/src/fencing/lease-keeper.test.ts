import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { FakeLeaseTable } from '../kernel/fake-lease.js';
import { LateProbeFilter, LeaseKeeper } from './lease-keeper.js';

const A = '192.0.2.102';
const B = '192.0.2.103';
const settle = () => new Promise((r) => setImmediate(r));

function setup(held: string[] | null = [A, B]) {
  const clock = new FakeClock(1_000_000);
  const table = new FakeLeaseTable(clock);
  void table.ensure([A, B]);
  const lapsed: string[][] = [];
  const keeper = new LeaseKeeper({
    clock, table, settings: { leaseMs: 300, lateToleranceMs: 100, restartLeaseMs: 10_000 },
    held: () => (held ? new Set(held) : null), onLapsed: (ips) => lapsed.push(ips), onError: (e) => { throw e; },
  });
  return { clock, table, keeper, lapsed };
}

describe('LateProbeFilter', () => {
  it('judges arrival against the fastest recent probe, whatever the clock offset', () => {
    const f = new LateProbeFilter();
    assert.equal(f.lateness(0, 5_000), 0); // 5 s clock offset: fine
    assert.equal(f.lateness(100, 5_103), 3);
    assert.equal(f.lateness(200, 5_290), 90);
    assert.equal(f.lateness(300, 5_420), 120);
  });
});

describe('LeaseKeeper', () => {
  it('a vouching probe renews the running leases; they run out without one', async () => {
    const { clock, table, keeper } = setup();
    await table.claim([A, B], 300);
    clock.advance(200);
    assert.equal(keeper.probe(clock.now() - 1, true), 300);
    await settle();
    clock.advance(200);
    assert.deepEqual([...(await table.leased())].sort(), [A, B], 'renewed at t=200: runs to 500');
    clock.advance(101);
    assert.equal((await table.leased()).size, 0, 'no probe: the kernel lets them run out');
  });

  it('a probe that does not vouch (manager suspects the node) or arrives after the whole budget is no contact and renews nothing', async () => {
    const { clock, table, keeper } = setup();
    await table.claim([A], 300);
    keeper.probe(clock.now(), true); // the fastest probe: offset 0
    await settle();
    clock.advance(200);
    assert.equal(keeper.probe(clock.now(), false), 0);
    assert.equal(keeper.probe(clock.now() - 400, true), 0, 'sent 400 ms ago: lease + tolerance spent');
    await settle();
    clock.advance(101);
    assert.equal((await table.leased()).size, 0);
  });

  it('a late probe (a busy event loop) renews for what is left of lease + tolerance after its send', async () => {
    const { clock, table, keeper } = setup();
    await table.claim([A], 300);
    keeper.probe(clock.now(), true); // offset 0
    await settle();
    clock.advance(100);
    assert.equal(keeper.probe(clock.now() - 250, true), 150, '250 ms late: 300 + 100 − 250');
    await settle();
    clock.advance(149);
    assert.equal((await table.leased()).size, 1);
    clock.advance(2);
    assert.equal((await table.leased()).size, 0, 'ends 400 ms after the send, as the manager counts');
  });

  it('never revives a lease that ran out: reports it as lapsed instead', async () => {
    const { clock, table, keeper, lapsed } = setup();
    await table.claim([A, B], 300);
    clock.advance(100);
    await table.claim([A], 300);
    clock.advance(250); // B ran out at 300
    keeper.probe(clock.now(), true);
    await settle();
    assert.deepEqual(lapsed, [[B]]);
    assert.deepEqual([...(await table.leased())], [A]);
  });

  it('reports lease + tolerance, and stretches leases over a restart', async () => {
    const { clock, table, keeper } = setup([A]);
    assert.equal(keeper.reportedLeaseMs, 400);
    await table.claim([A], 300);
    await keeper.stretchForRestart();
    clock.advance(9_999);
    assert.deepEqual([...(await table.leased())], [A]);
  });
});
