// Issue 16 §2 (no false alarms), the agent's side, on a fake clock: the fence's own lateness budget,
// and a lapse or a fence continued by the next probe of the same manager run without the API.
import assert from 'node:assert/strict';
import { FakeClock, silentLogger } from '@static-egress/controller-kit';
import { computeContact, type ContactBudgets } from './contact.js';
import { Fence } from './fence.js';
import { SelfFencing } from './self-fencing.js';

const BUDGETS: ContactBudgets = { leaseMs: 250, lateToleranceMs: 50, windowMs: 1000 };
const A = '192.0.2.102';

/** A vouching probe of `run` that arrived `latenessMs` late. */
const probe = (latenessMs: number, run?: string) => computeContact({ latenessMs, renew: true, run }, BUDGETS);

describe('computeContact: the lease and the fence have their own lateness budgets', () => {
  it('a timely probe grants the whole lease and the whole window', () => {
    assert.deepEqual(probe(0, 'r1'), { leaseMs: 250, fenceMs: 1000, run: 'r1' });
  });

  it('a late probe renews the lease only within lease + tolerance of its send, the fence up to the window late', () => {
    assert.deepEqual(probe(100), { leaseMs: 200, fenceMs: 900 });
    assert.deepEqual(probe(600), { leaseMs: 0, fenceMs: 400 }, 'too late for the ARP lease, still contact for the addresses');
    assert.deepEqual(probe(1000), { leaseMs: 0, fenceMs: 0 });
  });

  it('a probe that does not vouch renews no lease; with a run it may keep the fence (the manager suspects, but declared nothing)', () => {
    assert.deepEqual(computeContact({ latenessMs: 0, renew: false }, BUDGETS), { leaseMs: 0, fenceMs: 0 });
    assert.deepEqual(computeContact({ latenessMs: 100, renew: false, run: 'r1' }, BUDGETS), { leaseMs: 0, fenceMs: 900, run: 'r1', vouching: false });
  });
});

describe('Fence: a probe that does not vouch', () => {
  it('keeps the addresses only in the run that last vouched: a suspicious manager has moved nothing, a new run may have', () => {
    const clock = new FakeClock(0);
    const f = new Fence(clock, 1000, 250);
    const suspect = (run: string) => computeContact({ latenessMs: 0, renew: false, run }, BUDGETS);
    f.contact(suspect('r1'));
    clock.advance(1001);
    assert.equal(f.isFenced(), true, 'after a start, only a vouching probe is contact');
    f.contact(probe(0, 'r1'));
    f.confirmed(f.generation);
    clock.advance(900);
    f.contact(suspect('r1'));
    clock.advance(900);
    assert.equal(f.isFenced(), false, 'the suspicious probe of the same run kept the fence');
    assert.equal(f.leaseRunning(), false, 'but renewed no lease');
    f.contact(suspect('r2')); // the node was declared lost: a new run, not vouching
    clock.advance(101);
    assert.equal(f.isFenced(), true);
  });
});

describe('Fence: continuing a lapse in the same manager run', () => {
  function confirmedFence(run: string) {
    const clock = new FakeClock(0);
    const f = new Fence(clock, 1000, 250);
    f.contact(probe(0, run));
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
    return { clock, f };
  }

  it('a late probe within the fence budget keeps the addresses; its ARP lease is not renewed', () => {
    const { clock, f } = confirmedFence('r1');
    clock.advance(700); // the agent waited 700 ms for a core; the probes sent meanwhile arrive now
    f.contact(probe(650, 'r1'));
    assert.equal(f.isFenced(), false, 'contact for the window less its lateness');
    assert.equal(f.leaseRunning(), false, 'no repeated GARP on a lease the manager no longer counts on');
    assert.equal(f.mayClaim(), false);
    clock.advance(350);
    assert.equal(f.isFenced(), false, '700 + 350 ms after the last timely probe, still within its window');
  });

  it('a lapse is claimed again at the next vouching probe of the same run, for that probe\'s grant', () => {
    const { clock, f } = confirmedFence('r1');
    clock.advance(500); // the kernel lease ran out at 250
    const asked = f.generation;
    assert.equal(f.contact(probe(0, 'r1')), true, 'the lapse ended by continuation');
    assert.equal(f.mayClaim(), true);
    assert.equal(f.leaseRemainingMs(), 250);
    assert.notEqual(f.generation, asked, 'a confirmation asked before the lapse still confirms nothing');
    f.lapse(); // the kernel reports the lease that ran out (the renewal was already on its way)
    assert.equal(f.mayClaim(), false);
    clock.advance(20);
    assert.equal(f.contact(probe(0, 'r1')), true, 'and the next probe of the run ends that one too');
    assert.equal(f.mayClaim(), true);
  });

  it('a probe too late for the lease does not continue a lapse; the next timely one does', () => {
    const { clock, f } = confirmedFence('r1');
    clock.advance(500);
    f.lapse();
    assert.equal(f.contact(probe(400, 'r1')), false);
    assert.equal(f.mayClaim(), false);
    assert.equal(f.contact(probe(0, 'r1')), true);
  });

  it('another run (a new leader, or the node was declared lost since) needs the API', () => {
    const { clock, f } = confirmedFence('r1');
    clock.advance(500);
    assert.equal(f.contact(probe(0, 'r2')), false);
    assert.equal(f.mayClaim(), false);
    assert.equal(f.shouldConfirm(), true);
    clock.advance(20);
    assert.equal(f.contact(probe(0, 'r2')), false, 'the new run does not continue a lapse that began in the old one');
    assert.equal(f.mayClaim(), false);
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
  });

  it('a run that changes while the leases run makes the next lapse need the API too', () => {
    const { clock, f } = confirmedFence('r1');
    clock.advance(100);
    f.contact(probe(0, 'r2')); // a leader change faster than the lease: renewals go on
    assert.equal(f.mayClaim(), true);
    clock.advance(500);
    assert.equal(f.contact(probe(0, 'r1')), false, 'back to the old run after a gap: something may have moved');
    assert.equal(f.mayClaim(), false);
  });

  it('after a start nothing continues: the API confirms first, even when the kernel reports a lapse meanwhile', () => {
    const clock = new FakeClock(0);
    const f = new Fence(clock, 1000, 250);
    assert.equal(f.contact(probe(0, 'r1')), false);
    f.lapse();
    clock.advance(20);
    assert.equal(f.contact(probe(0, 'r1')), false);
    assert.equal(f.mayClaim(), false);
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
  });

  it('probes without a run (an older manager) never continue a lapse', () => {
    const { clock, f } = (() => {
      const c = new FakeClock(0);
      const fence = new Fence(c, 1000, 250);
      fence.contact(probe(0));
      fence.confirmed(fence.generation);
      return { clock: c, f: fence };
    })();
    clock.advance(500);
    assert.equal(f.contact(probe(0)), false);
    assert.equal(f.mayClaim(), false);
  });
});

describe('SelfFencing: a fence continued in the same run needs no API list', () => {
  function setup() {
    const clock = new FakeClock(0);
    const fence = new Fence(clock, 1000, 250);
    const gauge = { value: 0, set(v: number) { this.value = v; } };
    const api = { lists: 0 };
    const fencing = new SelfFencing({
      clock, logger: silentLogger, fence, gauge,
      confirmHeld: () => { api.lists++; return Promise.resolve(new Set([A])); },
    });
    let changes = 0;
    fencing.start(() => { changes++; });
    fencing.observe([A]);
    return { clock, fence, fencing, gauge, api, changes: () => changes };
  }

  it('a starved agent fenced by a long stall takes its addresses back at the next probe of the run', async () => {
    const { clock, fencing, gauge, api } = setup();
    fencing.contact(probe(0, 'r1'));
    await clock.advanceAsync(1500); // the start's confirmation
    assert.equal(api.lists, 1);
    fencing.contact(probe(0, 'r1'));
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true });
    await clock.advanceAsync(1100); // no contact for longer than the window
    assert.equal(fencing.fenced, true);
    assert.equal(gauge.value, 1);
    fencing.contact(probe(0, 'r1'));
    assert.equal(fencing.fenced, false, 'at once, not at the next watch');
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true });
    assert.equal(gauge.value, 0);
    await clock.advanceAsync(2000);
    assert.equal(api.lists, 1, 'no API list for a fence the manager never saw as a loss');
    fencing.stop();
  });

  it('a lapse in a run that may continue asks the API nothing: the next vouching probe takes it back', async () => {
    const { clock, fencing, api, changes } = setup();
    fencing.contact(probe(0, 'r1'));
    await clock.advanceAsync(1500);
    fencing.contact(probe(0, 'r1'));
    const before = changes();
    fencing.lapsed([A]); // the kernel lease ran out (a renewal came too late)
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: false });
    await clock.advanceAsync(300); // the manager suspects us for a while: no vouching probe
    assert.equal(api.lists, 1, 'only the start\'s confirmation');
    fencing.contact(probe(0, 'r1'));
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true });
    assert.ok(changes() > before + 1, 'the continuation asked for a pass (which claims)');
    fencing.stop();
  });

  it('a node that holds nothing takes a late probe back without a pass (no lease to claim again)', async () => {
    const { clock, fencing, changes } = setup();
    fencing.observe([]);
    fencing.contact(probe(0, 'r1'));
    await clock.advanceAsync(1500);
    fencing.contact(probe(0, 'r1'));
    const before = changes();
    await clock.advanceAsync(300); // longer than the lease: the next probe ends a lapse
    fencing.contact(probe(0, 'r1'));
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true }, 'it may claim at once when an IP comes');
    assert.equal(changes(), before, 'no pass asked for: on a busy machine every gateway passed for each late probe');
    fencing.stop();
  });

  it('a fence ended by another run waits for the API', async () => {
    const { clock, fencing, api } = setup();
    fencing.contact(probe(0, 'r1'));
    await clock.advanceAsync(1500);
    fencing.contact(probe(0, 'r1'));
    await clock.advanceAsync(1100);
    assert.equal(fencing.fenced, true);
    fencing.contact(probe(0, 'r2'));
    assert.equal(fencing.fenced, true, 'still fenced until the API confirms');
    await clock.advanceAsync(200);
    assert.equal(api.lists, 2);
    assert.equal(fencing.fenced, false);
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true }, 'the API confirmed what the cache says: held and claimed');
    fencing.stop();
  });
});
