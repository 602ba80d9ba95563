// A takeover that comes while this node holds only what the API confirmed (after a start, a lapse or
// a fence) is asked about at once, not at the next once-a-second list (issue 16 §1: the 1 s tails of
// a just-restarted new holder).
import assert from 'node:assert/strict';
import { FakeClock, silentLogger } from '@static-egress/controller-kit';
import { computeContact } from './contact.js';
import { Fence } from './fence.js';
import { SelfFencing } from './self-fencing.js';

const probe = (run: string) => computeContact({ latenessMs: 0, renew: true, run }, { leaseMs: 250, lateToleranceMs: 50, windowMs: 1000 });

describe('SelfFencing: a new claim is confirmed at once', () => {
  it('asks the API at once for an IP the cache newly assigns here, once; the stale one waits for the once-a-second list', async () => {
    const clock = new FakeClock(0);
    const fence = new Fence(clock, 1000, 250);
    let lists = 0;
    let api = new Set(['192.0.2.100']);
    const fencing = new SelfFencing({ clock, logger: silentLogger, fence, gauge: { set() {} }, confirmHeld: () => { lists++; return Promise.resolve(api); } });
    fencing.start(() => {});
    fencing.observe(['192.0.2.100', '192.0.2.101']); // .101: the cache is stale about it
    fencing.contact(probe('r1'));
    await clock.advanceAsync(150); // the start's confirmation
    assert.equal(lists, 1);
    assert.deepEqual(fencing.verdict().holdOnly, new Set(['192.0.2.100']));
    await clock.advanceAsync(300);
    assert.equal(lists, 1, 'the stale claim is asked about again at most once a second');
    api = new Set(['192.0.2.100', '192.0.2.102']);
    fencing.observe(['192.0.2.100', '192.0.2.101', '192.0.2.102']); // a takeover
    await clock.advanceAsync(0);
    assert.equal(lists, 2, 'asked at once');
    assert.deepEqual(fencing.verdict().holdOnly, new Set(['192.0.2.100', '192.0.2.102']));
    fencing.observe(['192.0.2.100', '192.0.2.101', '192.0.2.102']);
    await clock.advanceAsync(0);
    assert.equal(lists, 2, 'not again for the same claim');
    fencing.stop();
  });
});
