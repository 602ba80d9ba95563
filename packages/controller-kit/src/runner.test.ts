import assert from 'node:assert/strict';
import { FakeClock, flushMicrotasks } from './clock.js';
import { BoundedFrequencyRunner, type BoundedFrequencyRunnerOptions, type PassInfo } from './runner.js';

/** A runner whose passes are recorded (time since start, resync flag) and can fail or hang. */
function setup(o: Partial<BoundedFrequencyRunnerOptions> = {}) {
  const clock = new FakeClock(0);
  const passes: { at: number; resync: boolean }[] = [];
  const errors: { failures: number; retryInMs: number }[] = [];
  const ctl = { fail: false, hang: undefined as Promise<void> | undefined, during: undefined as (() => void) | undefined };
  const runner = new BoundedFrequencyRunner({
    clock,
    minIntervalMs: 50,
    retryBaseMs: 100,
    pass: async (info: PassInfo) => {
      passes.push({ at: clock.now(), resync: info.resync });
      ctl.during?.();
      if (ctl.hang) await ctl.hang;
      if (ctl.fail) throw new Error('boom');
    },
    onError: (_err, failures, retryInMs) => errors.push({ failures, retryInMs }),
    ...o,
  });
  const times = () => passes.map((p) => p.at);
  return { clock, runner, passes, errors, ctl, times };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('BoundedFrequencyRunner', () => {
  it('runNow starts a pass without the minimum interval, once; the next request waits for it again; a backoff still holds', async () => {
    const { clock, runner, times, ctl } = setup();
    runner.start();
    await clock.advanceAsync(10);
    runner.runNow();
    await clock.advanceAsync(0);
    assert.deepEqual(times(), [0, 10], 'at once, not at 50');
    runner.run();
    await clock.advanceAsync(100);
    assert.deepEqual(times(), [0, 10, 60], 'an ordinary request waits for the minimum interval again');
    ctl.fail = true;
    runner.runNow();
    await clock.advanceAsync(0);
    assert.equal(times().length, 4, 'the urgent pass ran (at once: more than 50 ms since the last)');
    ctl.fail = false;
    runner.runNow();
    await clock.advanceAsync(50);
    assert.equal(times().length, 4, 'a failure\'s backoff (100 ms) is not cut short');
    await clock.advanceAsync(60);
    assert.equal(times().length, 5);
    await runner.stop();
  });

  it('runs a first pass on start; requests made before start wait for it', async () => {
    const { clock, runner, times } = setup();
    runner.run();
    runner.runAfter(10);
    await clock.advanceAsync(1000);
    assert.deepEqual(times(), []);
    runner.start();
    await clock.advanceAsync(0);
    assert.deepEqual(times(), [1000]);
    await clock.advanceAsync(1000);
    assert.deepEqual(times(), [1000], 'the early requests were served by the first pass');
    await runner.stop();
  });

  it('coalesces a burst of requests into one pass', async () => {
    const { clock, runner, times } = setup();
    runner.start();
    await clock.advanceAsync(100);
    for (let i = 0; i < 1000; i++) runner.run();
    await clock.advanceAsync(100);
    assert.deepEqual(times(), [0, 100]);
    await runner.stop();
  });

  it('keeps the minimum interval between the starts of two passes', async () => {
    const { clock, runner, times } = setup();
    runner.start();
    await clock.advanceAsync(10);
    runner.run();
    await clock.advanceAsync(30);
    assert.deepEqual(times(), [0], 'not before 50 ms after the first');
    await clock.advanceAsync(10);
    assert.deepEqual(times(), [0, 50]);
    runner.run();
    await clock.advanceAsync(200);
    assert.deepEqual(times(), [0, 50, 100]);
    await runner.stop();
  });

  it('requests during a pass make exactly one more pass after it', async () => {
    const { clock, runner, times, ctl } = setup();
    const gate = deferred();
    ctl.hang = gate.promise;
    runner.start();
    await clock.advanceAsync(0);
    for (let i = 0; i < 5; i++) { runner.run(); await clock.advanceAsync(40); }
    assert.deepEqual(times(), [0], 'never two passes at once');
    ctl.hang = undefined;
    gate.resolve();
    await clock.advanceAsync(0);
    await clock.advanceAsync(500);
    assert.deepEqual(times(), [0, 200]);
    await runner.stop();
  });

  it('a request from inside a pass is served after it', async () => {
    const { clock, runner, times, ctl } = setup();
    let once = true;
    ctl.during = () => { if (once) { once = false; runner.run(); } };
    runner.start();
    await clock.advanceAsync(500);
    assert.deepEqual(times(), [0, 50]);
    await runner.stop();
  });

  it('runs a resync pass every maximum interval, whatever ran between, and flags it', async () => {
    const { clock, runner, passes } = setup({ maxIntervalMs: 1000 });
    runner.start();
    await clock.advanceAsync(600);
    runner.run();
    await clock.advanceAsync(1500);
    assert.deepEqual(passes, [
      { at: 0, resync: false },
      { at: 600, resync: false },
      { at: 1000, resync: true },
      { at: 2000, resync: true },
    ]);
    await runner.stop();
  });

  it('without a maximum interval runs only when asked', async () => {
    const { clock, runner, times } = setup();
    runner.start();
    await clock.advanceAsync(100_000);
    assert.deepEqual(times(), [0]);
    assert.equal(clock.pending(), 0);
    await runner.stop();
  });

  it('retries a failed pass with exponential backoff, capped; success resets it', async () => {
    const { clock, runner, times, errors, ctl } = setup({ retryMaxMs: 350 });
    ctl.fail = true;
    runner.start();
    await clock.advanceAsync(1500);
    assert.deepEqual(times(), [0, 100, 300, 650, 1000, 1350]);
    assert.deepEqual(errors.slice(0, 4), [
      { failures: 1, retryInMs: 100 }, { failures: 2, retryInMs: 200 }, { failures: 3, retryInMs: 350 }, { failures: 4, retryInMs: 350 },
    ]);
    ctl.fail = false;
    await clock.advanceAsync(500);
    assert.equal(times().at(-1), 1700, 'the retry succeeded');
    ctl.fail = true;
    runner.run();
    await clock.advanceAsync(200);
    assert.deepEqual(times().slice(-2), [2000, 2100], 'back to the base delay');
    await runner.stop();
  });

  it('requests during the backoff wait for the retry (coalesced into it)', async () => {
    const { clock, runner, times, ctl } = setup({ retryBaseMs: 1000 });
    ctl.fail = true;
    runner.start();
    await clock.advanceAsync(0);
    ctl.fail = false;
    for (let i = 0; i < 9; i++) { await clock.advanceAsync(100); runner.run(); runner.runAfter(0); }
    assert.deepEqual(times(), [0]);
    await clock.advanceAsync(100);
    assert.deepEqual(times(), [0, 1000]);
    await clock.advanceAsync(1000);
    assert.deepEqual(times(), [0, 1000], 'one retry served every request');
    await runner.stop();
  });

  it('the retry delay defaults to the maximum interval as its cap', async () => {
    const { clock, runner, errors, ctl } = setup({ maxIntervalMs: 300 });
    ctl.fail = true;
    runner.start();
    await clock.advanceAsync(2000);
    assert.deepEqual(errors.map((e) => e.retryInMs).slice(0, 4), [100, 200, 300, 300]);
    await runner.stop();
  });

  it('runAfter: a pass at the latest after the delay; the earliest request wins', async () => {
    const { clock, runner, times } = setup();
    runner.start();
    await clock.advanceAsync(0);
    runner.runAfter(500);
    runner.runAfter(300);
    runner.runAfter(800);
    await clock.advanceAsync(1000);
    assert.deepEqual(times(), [0, 300]);
    runner.runAfter(500);
    await clock.advanceAsync(100);
    runner.run(); // sooner than the requeue: served now, and it serves the requeue too
    await clock.advanceAsync(1000);
    assert.deepEqual(times(), [0, 300, 1100]);
    await runner.stop();
  });

  it('a requeue asked for from inside a pass (the manager\'s release grace) runs after it', async () => {
    const { clock, runner, times, ctl } = setup();
    ctl.during = () => { if (clock.now() === 0) runner.runAfter(2000); };
    runner.start();
    await clock.advanceAsync(5000);
    assert.deepEqual(times(), [0, 2000]);
    await runner.stop();
  });

  it('idleFactor: after a long pass the loop stays free as long before the next one starts', async () => {
    const { clock, runner, times, ctl } = setup({ idleFactor: 1, idleAboveMs: 100 });
    const gate = deferred();
    ctl.hang = gate.promise;
    runner.start();
    await clock.advanceAsync(400); // the first pass holds on for 400 ms
    runner.run();
    ctl.hang = undefined;
    gate.resolve();
    await clock.advanceAsync(0);
    await clock.advanceAsync(399);
    assert.deepEqual(times(), [0], 'not before 400 ms after its end');
    await clock.advanceAsync(1);
    assert.deepEqual(times(), [0, 800]);
    runner.run();
    await clock.advanceAsync(50);
    assert.deepEqual(times(), [0, 800, 850], 'a quick pass: only the minimum interval');
    const gate2 = deferred(); // a pass of exactly idleAboveMs
    ctl.hang = gate2.promise;
    runner.run();
    await clock.advanceAsync(50);
    await clock.advanceAsync(100);
    runner.run();
    ctl.hang = undefined;
    gate2.resolve();
    await clock.advanceAsync(0);
    assert.deepEqual(times(), [0, 800, 850, 900, 1000], 'a 100 ms pass leaves no idle time');
    await runner.stop();
  });

  it('stop waits for the pass in flight, then nothing runs and no timer is left', async () => {
    const { clock, runner, times, ctl } = setup({ maxIntervalMs: 1000 });
    const gate = deferred();
    ctl.hang = gate.promise;
    runner.start();
    await clock.advanceAsync(0);
    runner.runAfter(10);
    let stopped = false;
    const stopping = runner.stop().then(() => { stopped = true; });
    await flushMicrotasks();
    assert.equal(stopped, false, 'the pass is still running');
    gate.resolve();
    await stopping;
    assert.equal(stopped, true);
    runner.run();
    runner.start();
    await clock.advanceAsync(10_000);
    assert.deepEqual(times(), [0]);
    assert.equal(clock.pending(), 0);
  });
});
