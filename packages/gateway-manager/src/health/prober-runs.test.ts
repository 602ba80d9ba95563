// The prober's side of issue 16 §2: a starved agent (kernel answers, agent late) with lost probes on
// the LAN keeps its IPs, a lost node still goes at once, and each probe carries the run an agent
// needs to take back a lapsed lease (a new run after every unhealthy verdict).
import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { NodeProber, type ProbeResponse } from './prober.js';

function setup() {
  const clock = new FakeClock(0);
  let answer: ProbeResponse = { ok: true };
  const changes: string[] = [];
  const runs: string[] = [];
  const prober = new NodeProber({
    clock, port: 9310, intervalMs: 20, timeoutMs: 50, failureThreshold: 4, fencedGraceMs: 2000, stalledGraceMs: 2000, leaseMarginMs: 25,
    fetch: () => Promise.resolve(answer),
    authenticate: (_node, { run }) => { runs.push(run); return {}; },
    onChange: (node, healthy, why) => changes.push(`${clock.now()}:${node}=${healthy}${why ? `(${why.last})` : ''}`),
  });
  prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
  return { clock, prober, changes, runs, answer: (a: ProbeResponse) => { answer = a; } };
}

describe('NodeProber: starved agent vs lost node (issue 16 §2)', () => {
  it('a starved agent whose kernel answers, with every 8th probe lost on the LAN, keeps its IPs through 1.9 s', async () => {
    const { clock, prober, changes, answer } = setup();
    await clock.advanceAsync(0);
    for (let k = 0; k < 95; k++) {
      answer(k % 8 === 7 ? { ok: false } : { ok: false, reachable: true });
      await clock.advanceAsync(20);
    }
    answer({ ok: true });
    await clock.advanceAsync(100);
    assert.deepEqual(changes, ['0:n1=true'], 'no verdict: the lost probes were never 4 in a row');
    prober.stop();
  });

  it('a lost node (kernel silent) is still declared lost after 4 probes and its lease', async () => {
    const { clock, prober, changes, answer } = setup();
    await clock.advanceAsync(0);
    answer({ ok: false });
    await clock.advanceAsync(200);
    assert.deepEqual(changes, ['0:n1=true', '80:n1=false(silent)'], 'no lease reported: the 4th miss decides');
    prober.stop();
  });

  it('signs one run per node until it is declared lost; the probes after the verdict carry a new one', async () => {
    const { clock, prober, runs, answer } = setup();
    await clock.advanceAsync(100);
    const first = new Set(runs);
    assert.equal(first.size, 1, 'one run while the node is healthy');
    answer({ ok: false });
    await clock.advanceAsync(200);
    answer({ ok: true });
    await clock.advanceAsync(100);
    const later = runs.slice(runs.length - 3);
    assert.equal(new Set(later).size, 1);
    assert.ok(!first.has(later[0]!), 'a lease that lapsed before the verdict is not taken back by a probe of the old run');
    prober.stop();
  });
});
