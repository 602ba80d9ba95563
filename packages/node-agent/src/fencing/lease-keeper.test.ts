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
    const f = new LateProbeFilter(100);
    assert.equal(f.inTime(0, 5_000), true); // 5 s clock offset: fine
    assert.equal(f.inTime(100, 5_103), true);
    assert.equal(f.inTime(200, 5_290), true, '90 ms later than the fastest: in time');
    assert.equal(f.inTime(300, 5_420), false, '120 ms later than the fastest: late');
  });
});

describe('LeaseKeeper', () => {
  it('a vouching probe renews the running leases; they run out without one', async () => {
    const { clock, table, keeper } = setup();
    await table.claim([A, B], 300);
    clock.advance(200);
    assert.equal(keeper.probe(clock.now() - 1, true), true);
    await settle();
    clock.advance(200);
    assert.deepEqual([...(await table.leased())].sort(), [A, B], 'renewed at t=200: runs to 500');
    clock.advance(101);
    assert.equal((await table.leased()).size, 0, 'no probe: the kernel lets them run out');
  });

  it('a probe that does not vouch (manager suspects the node) or arrives late is no contact and renews nothing', async () => {
    const { clock, table, keeper } = setup();
    await table.claim([A], 300);
    keeper.probe(clock.now(), true); // the fastest probe: offset 0
    await settle();
    clock.advance(200);
    assert.equal(keeper.probe(clock.now(), false), false);
    assert.equal(keeper.probe(clock.now() - 150, true), false, 'sent 150 ms ago: late');
    await settle();
    clock.advance(101);
    assert.equal((await table.leased()).size, 0);
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
