import assert from 'node:assert/strict';
import { computeFailureRun, NO_FAILURES, outcomeOf, type FailureRun, type ProbeOutcome } from './verdict.js';

const GRACES = { stalled: 2000, fenced: 2000, refused: 10_000 };

/** Folds outcomes (one every 20 ms from t=0) and returns the highest failure count seen. */
function fold(outcomes: ProbeOutcome[], start: FailureRun = NO_FAILURES): { run: FailureRun; peak: number; counted: number } {
  let run = start;
  let peak = 0;
  let counted = 0;
  outcomes.forEach((o, k) => {
    const next = computeFailureRun(run, o, k * 20, GRACES);
    run = next.run;
    if (next.counted) counted++;
    peak = Math.max(peak, run.failures);
  });
  return { run, peak, counted };
}

/** `n` outcomes of `kind`, one in `every` of them silent instead (a SYN or SYN-ACK lost on the LAN). */
function withLoss(kind: ProbeOutcome, n: number, every: number): ProbeOutcome[] {
  return Array.from({ length: n }, (_, k) => (k % every === every - 1 ? 'silent' : kind));
}

describe('computeFailureRun: starved agent vs lost node (issue 16 §2)', () => {
  it('a lost node (its kernel silent) fails at every probe: the threshold is reached in as many probes', () => {
    const { peak, counted } = fold(['ok', 'silent', 'silent', 'silent', 'silent']);
    assert.equal(peak, 4);
    assert.equal(counted, 4);
  });

  it('a starved agent (its kernel completes the handshake) with a lost SYN now and then never adds up to a lost node within the grace', () => {
    // 1.9 s of a stalled agent, every 10th probe lost on the LAN (5 silent probes in all)
    const stalled = fold(withLoss('stalled', 95, 10));
    assert.equal(stalled.peak, 1, 'silent probes between answers of the kernel are not consecutive');
    const fenced = fold(withLoss('fenced', 95, 10));
    assert.equal(fenced.peak, 1, 'a self-fenced agent answers: its node is up');
    const restarting = fold(withLoss('refused', 95, 10));
    assert.equal(restarting.peak, 1);
  });

  it('the same silent probes without the kernel\'s answers between them are a lost node', () => {
    assert.equal(fold(withLoss('silent', 5, 10)).peak, 5);
  });

  it('an agent that stays stalled past the grace counts as failing, from the first such answer since the last good one', () => {
    const outcomes: ProbeOutcome[] = Array.from({ length: 104 }, () => 'stalled'); // t = 0 … 2060 ms
    const { run, counted } = fold(outcomes);
    assert.equal(run.since.stalled, 0);
    assert.equal(counted, 4, 'the answers at 2000, 2020, 2040, 2060 ms');
    assert.equal(run.failures, 4);
  });

  it('alternating kinds do not restart each other\'s grace; a good answer clears everything', () => {
    const alternating: ProbeOutcome[] = Array.from({ length: 110 }, (_, k) => (k % 2 ? 'fenced' : 'stalled'));
    const { run, counted } = fold(alternating);
    assert.deepEqual(run.since, { stalled: 0, fenced: 20 });
    assert.ok(counted > 0, 'an agent that never answers well for longer than the grace is moved off');
    assert.deepEqual(computeFailureRun(run, 'ok', 5000, GRACES), { run: NO_FAILURES, counted: false });
  });

  it('no grace: a host-up answer is a failure at once', () => {
    assert.deepEqual(computeFailureRun(NO_FAILURES, 'refused', 0, { ...GRACES, refused: 0 }), { run: { failures: 1, since: { refused: 0 } }, counted: true });
  });

  it('reads the real probe\'s answers', () => {
    assert.equal(outcomeOf({ ok: true }), 'ok');
    assert.equal(outcomeOf({ ok: false, fenced: true }), 'fenced');
    assert.equal(outcomeOf({ ok: false, reachable: true }), 'stalled');
    assert.equal(outcomeOf({ ok: false, refused: true }), 'refused');
    assert.equal(outcomeOf({ ok: false }), 'silent');
  });
});
