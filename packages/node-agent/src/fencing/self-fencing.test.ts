import assert from 'node:assert/strict';
import { FakeClock, silentLogger } from '@static-egress/controller-kit';
import { Fence } from './fence.js';
import { SelfFencing } from './self-fencing.js';

const A = '192.0.2.102';
const B = '192.0.2.103';

function setup() {
  const clock = new FakeClock();
  const fence = new Fence(clock, 3000);
  const gauge = { value: 0, set(v: number) { this.value = v; } };
  const api = { assigned: new Set([A]), lists: 0, fail: undefined as 'hang' | Error | undefined, pings: 0, pingFails: false };
  const fencing = new SelfFencing({
    clock, logger: silentLogger, fence, gauge,
    confirmHeld: () => {
      api.lists++;
      if (api.fail === 'hang') return new Promise(() => {});
      return api.fail ? Promise.reject(api.fail) : Promise.resolve(new Set(api.assigned));
    },
  });
  let changes = 0;
  fencing.start(() => { changes++; });
  return { clock, fence, gauge, api, fencing, changes: () => changes };
}

/** Contact from the manager every 100 ms for `ms`. */
async function probed(clock: FakeClock, fence: Fence, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) { fence.contact(); await clock.advanceAsync(100); }
}

describe('SelfFencing', () => {
  it('a node holding nothing is never fenced, however long the silence', async () => {
    const { clock, fencing, api, changes } = setup();
    fencing.observe([]);
    await clock.advanceAsync(60_000);
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: false });
    assert.equal(fencing.fenced, false);
    assert.equal(changes(), 0);
    assert.equal(api.lists, 0);
    fencing.stop();
  });

  it('a gateway without contact for the window fences: drop everything, ask for a pass, no API list meanwhile', async () => {
    const { clock, fencing, gauge, api, changes } = setup();
    fencing.observe([A]);
    await clock.advanceAsync(2900);
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: false }, 'the start\'s grace: kept, not claimed');
    await clock.advanceAsync(200);
    assert.equal(fencing.fenced, true);
    assert.deepEqual(fencing.verdict(), { fenced: true, holdOnly: new Set(), claim: false });
    assert.equal(gauge.value, 1);
    assert.equal(changes(), 1);
    await clock.advanceAsync(10_000);
    assert.equal(api.lists, 0, 'no contact, no confirmation');
    fencing.stop();
  });

  it('contact again: holds only what the API confirms, then follows the cache once it agrees', async () => {
    const { clock, fence, fencing, gauge, api, changes } = setup();
    fencing.observe([A, B]);
    await clock.advanceAsync(3100);
    fence.contact();
    await clock.advanceAsync(100);
    assert.equal(api.lists, 1);
    assert.equal(fencing.fenced, false);
    assert.equal(gauge.value, 0);
    assert.deepEqual(fencing.verdict(), { fenced: false, holdOnly: new Set([A]), claim: true }, 'B has moved, though the cache still says ours');
    assert.equal(changes(), 2);
    await probed(clock, fence, 2000);
    assert.ok(api.lists >= 2 && api.lists <= 3, `asks again while the cache disagrees, at most once a second (${api.lists})`);
    fencing.observe([A]); // the cache caught up
    await probed(clock, fence, 200);
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true });
    fencing.observe([A, B]); // B assigned here again: no restriction any more
    await probed(clock, fence, 2000);
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: true });
    fencing.stop();
  });

  it('stays fenced while the API cannot confirm: an error, or no answer within the timeout', async () => {
    const { clock, fence, fencing, api } = setup();
    fencing.observe([A]);
    await clock.advanceAsync(3100);
    api.fail = 'hang';
    await probed(clock, fence, 1500);
    assert.equal(api.lists, 1, 'one hung confirmation at a time');
    await probed(clock, fence, 1000);
    assert.equal(fencing.fenced, true);
    api.fail = new Error('connection refused');
    await probed(clock, fence, 1500);
    assert.ok(api.lists >= 2, 'retried after the hung one timed out');
    assert.equal(fencing.fenced, true);
    api.fail = undefined;
    await probed(clock, fence, 1500);
    assert.equal(fencing.fenced, false);
    fencing.stop();
  });

  it('stop leaves no timer and ignores a confirmation that lands later', async () => {
    const { clock, fence, fencing, api } = setup();
    fencing.observe([A]);
    await clock.advanceAsync(3100);
    let answer!: (s: Set<string>) => void;
    api.fail = undefined;
    const confirm = new Promise<Set<string>>((r) => { answer = r; });
    (fencing as unknown as { o: { confirmHeld: () => Promise<Set<string>> } }).o.confirmHeld = () => confirm;
    fence.contact();
    await clock.advanceAsync(100);
    fencing.stop();
    answer(new Set([A]));
    await clock.advanceAsync(5000);
    assert.equal(fencing.fenced, true);
    assert.equal(clock.pending(), 0);
  });

  it('after a start: keeps what it has, claims nothing until contact and the API confirm; a lapse needs the API again', async () => {
    const { clock, fence, fencing, api, changes } = setup();
    fencing.observe([A]);
    await clock.advanceAsync(1000);
    assert.equal(api.lists, 0, 'no contact yet: no list');
    assert.deepEqual(fencing.verdict(), { fenced: false, claim: false });
    await probed(clock, fence, 300);
    assert.equal(api.lists, 1);
    assert.equal(fencing.verdict().claim, true);
    assert.equal(fencing.verdict().fenced, false);
    const before = changes();
    fencing.lapsed([A]); // the kernel said A's lease ran out before a renewal
    assert.equal(changes(), before + 1);
    assert.equal(fencing.verdict().claim, false);
    await probed(clock, fence, 1200);
    assert.equal(api.lists, 2);
    assert.equal(fencing.verdict().claim, true);
    fencing.stop();
  });
});
