import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';

describe('FakeClock', () => {
  it('fires due timers in time order, then creation order, with now() at their due time', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.advance(15);
    assert.deepEqual(fired, ['a@10']);
    assert.equal(clock.now(), 15);
    clock.advance(5);
    assert.deepEqual(fired, ['a@10', 'b@20', 'c@20']);
    assert.equal(clock.pending(), 0);
  });

  it('fires timers scheduled by timers within the same advance, and honours clearTimeout', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const h = clock.setTimeout(() => fired.push(-1), 5);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 10), 10);
    clock.clearTimeout(h);
    clock.advance(100);
    assert.deepEqual(fired, [20]);
  });

  it('advanceAsync lets promise chains started by a timer settle before the next timer', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    clock.setTimeout(() => {
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        log.push('async work done');
      })();
    }, 10);
    clock.setTimeout(() => log.push('second timer'), 20);
    await clock.advanceAsync(30);
    assert.deepEqual(log, ['async work done', 'second timer']);
  });
});
