import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { Fence } from './fence.js';

describe('Fence', () => {
  it('starts unconfirmed (one window of grace before it fences): no claim until contact and a confirmation', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 300);
    assert.equal(f.isFenced(), false);
    assert.equal(f.mayClaim(), false);
    clock.advance(200);
    f.contact();
    assert.equal(f.mayClaim(), false, 'contact alone is not enough after a start');
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
  });

  it('a confirmation asked before a lapse confirms nothing', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 300);
    f.contact();
    const asked = f.generation;
    f.lapse();
    f.confirmed(asked);
    assert.equal(f.mayClaim(), false);
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
  });

  it('fences after the window without contact; contact after a gap is a lapse that needs confirmation', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 300);
    f.contact();
    f.confirmed(f.generation);
    clock.advance(300);
    assert.equal(f.isFenced(), false);
    f.contact();
    clock.advance(301);
    assert.equal(f.isFenced(), true);
    f.contact(); // e.g. the event loop stalled through the whole window: nobody saw the fence
    assert.equal(f.isFenced(), false);
    assert.equal(f.mayClaim(), false, 'a lapse, even unobserved, needs the API again');
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
    f.lapse(); // the kernel reported a lease that had run out
    assert.equal(f.mayClaim(), false);
    assert.equal(f.msUntilFence(), 301);
  });

  it('a late probe keeps the node unfenced only for what it granted', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 300);
    clock.advance(1_000); // past the start's grace
    f.contact(100);
    clock.advance(100);
    assert.equal(f.isFenced(), false);
    clock.advance(1);
    assert.equal(f.isFenced(), true);
    f.contact(500);
    clock.advance(300);
    assert.equal(f.isFenced(), false, 'capped at the window');
    clock.advance(1);
    assert.equal(f.isFenced(), true);
  });

  it('a lease shorter than the window (issue 16): a full grant keeps the whole window, a late one loses as much', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 250, 80);
    f.contact(80);
    clock.advance(250);
    assert.equal(f.isFenced(), false, 'a full lease grant: the whole window');
    clock.advance(1);
    assert.equal(f.isFenced(), true);
    f.contact(50); // 30 ms late
    assert.equal(f.leaseRunning(), true);
    clock.advance(50);
    assert.equal(f.leaseRunning(), false, 'the lease grant ran out: no repeated GARP');
    clock.advance(170);
    assert.equal(f.isFenced(), false);
    clock.advance(1);
    assert.equal(f.isFenced(), true);
  });

  it('a lease shorter than the window: claims only while the last grant runs, for what is left of it; a gap past it is a lapse', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 250, 80);
    f.contact(80);
    f.confirmed(f.generation);
    clock.advance(30);
    assert.equal(f.mayClaim(), true);
    assert.equal(f.leaseRemainingMs(), 50, 'a claim never outlasts the grant the manager counts on');
    clock.advance(51);
    assert.equal(f.isFenced(), false, 'the addresses stay for the window');
    assert.equal(f.mayClaim(), false, 'but the kernel lease has run out: no claim without new contact');
    f.contact(80);
    assert.equal(f.mayClaim(), false, 'contact after the grant ran out is a lapse: the API must confirm first');
    f.confirmed(f.generation);
    assert.equal(f.mayClaim(), true);
  });
});
