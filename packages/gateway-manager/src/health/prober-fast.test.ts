// Issue 16's detection: a node whose kernel answers while its agent does not keeps its IPs for a
// grace; vouching stops as soon as a probe is slower than recent answers; an answer that arrived
// while the manager itself stalled is read before the timeout's verdict; the real probe tells a
// stalled agent (kernel answered) from a refused connection.
import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe } from './http-probe.js';
import { NodeProber, type NodeProberOptions, type ProbeFetch, type ProbeResponse } from './prober.js';

const ADDR = '192.0.2.11';

function setup(extra: Partial<NodeProberOptions>, answer: (clock: FakeClock, signal: AbortSignal) => Promise<ProbeResponse>) {
  const clock = new FakeClock(0);
  const changes: string[] = [];
  const claims: string[] = [];
  const fetch: ProbeFetch = (_url, signal) => answer(clock, signal);
  const prober = new NodeProber({
    clock, fetch, port: 9310, intervalMs: 20, timeoutMs: 50, failureThreshold: 4, leaseMarginMs: 10,
    authenticate: (_node, { renew }) => { claims.push(`${clock.now()}:${renew ? 'renew' : 'suspect'}`); return {}; },
    onChange: (node, healthy) => changes.push(`${clock.now()}:${node}=${healthy}`),
    ...extra,
  });
  prober.setTargets([{ node: 'n1', address: ADDR }]);
  return { clock, changes, claims, prober };
}

/** Answers after `delay` ms of the fake clock; 'hang' answers on abort only, with `onAbort`. */
function agentAnswering(get: () => { delay: number; res: ProbeResponse } | { hang: ProbeResponse }) {
  return (clock: FakeClock, signal: AbortSignal): Promise<ProbeResponse> => {
    const a = get();
    if ('hang' in a) return new Promise((resolve) => signal.addEventListener('abort', () => resolve(a.hang)));
    // scheduled after the prober's own timeout timer: an answer due with it fires after it
    return new Promise((resolve) => { queueMicrotask(() => clock.setTimeout(() => resolve(a.res), a.delay)); });
  };
}

describe('NodeProber: fast detection (issue 16)', () => {
  it('a stalled agent (its kernel completed the handshake) keeps its IPs for the grace, then counts', async () => {
    let mode: 'ok' | 'stalled' = 'ok';
    const { clock, changes, prober } = setup({ stalledGraceMs: 500 },
      agentAnswering(() => (mode === 'ok' ? { delay: 1, res: { ok: true } } : { hang: { ok: false, reachable: true } })));
    await clock.advanceAsync(10);
    mode = 'stalled';
    await clock.advanceAsync(400);
    assert.deepEqual(changes, ['1:n1=true'], 'a stall shorter than the grace moves nothing');
    mode = 'ok';
    await clock.advanceAsync(100);
    mode = 'stalled';
    await clock.advanceAsync(700);
    assert.equal(changes.length, 2, 'a stall past the grace counts as failures');
    assert.match(changes[1]!, /n1=false$/);
    prober.stop();
  });

  it('a node whose kernel answers nothing is not covered by the stall grace', async () => {
    let lost = false;
    const { clock, changes, prober } = setup({ stalledGraceMs: 5_000 },
      agentAnswering(() => (lost ? { hang: { ok: false } } : { delay: 1, res: { ok: true } })));
    await clock.advanceAsync(10);
    lost = true;
    await clock.advanceAsync(200);
    assert.equal(changes.length, 2);
    prober.stop();
  });

  it('stops vouching once a probe waits longer than recent round trips allow, well before its timeout', async () => {
    let lost = false;
    const { clock, claims, changes, prober } = setup({ suspectRttFactor: 3 },
      agentAnswering(() => (lost ? { hang: { ok: false } } : { delay: 2, res: { ok: true, leaseMs: 60 } })));
    await clock.advanceAsync(100); // probes at 0, 20, ..., 100 answered in 2 ms
    lost = true; // the probe sent at 120 is the first one lost
    await clock.advanceAsync(300);
    const after = claims.filter((c) => Number(c.split(':')[0]) >= 120);
    // at 140 the probe of 120 has waited 20 ms > 3 × 2 ms: no more vouching
    assert.deepEqual(after.slice(0, 3), ['120:renew', '140:suspect', '160:suspect']);
    // lease from the last vouching send (120) + 60 + margin 10 = 190; the threshold (4 × 20 + 50 from 120 = 230) decides
    assert.deepEqual(changes, ['2:n1=true', '230:n1=false']);
    prober.stop();
  });

  it('without the factor, a probe vouches until the first failure (issue 14 behaviour)', async () => {
    let lost = false;
    const { clock, claims, prober } = setup({}, agentAnswering(() => (lost ? { hang: { ok: false } } : { delay: 2, res: { ok: true } })));
    await clock.advanceAsync(100);
    lost = true;
    await clock.advanceAsync(100);
    assert.deepEqual(claims.filter((c) => Number(c.split(':')[0]) >= 120).slice(0, 4), ['120:renew', '140:renew', '160:renew', '180:suspect']);
    prober.stop();
  });

  it('an answer that arrived in the same turn as its timeout (the manager stalled) counts as an answer', async () => {
    let late = false;
    const { clock, changes, prober } = setup({ failureThreshold: 1 },
      agentAnswering(() => ({ delay: late ? 50 : 1, res: { ok: true } })));
    await clock.advanceAsync(10);
    late = true; // every answer lands exactly when its timeout fires
    await clock.advanceAsync(500);
    assert.deepEqual(changes, ['1:n1=true']);
    prober.stop();
  });
});

describe('httpProbe: the kernel answers apart from the agent', () => {
  it('a stalled agent (connection accepted, no answer) is reachable; a closed port is refused', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => { held.push(res); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 100);
      assert.deepEqual(await httpProbe(url, abort.signal), { ok: false, reachable: true });
    } finally {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    assert.deepEqual(await httpProbe(url, new AbortController().signal), { ok: false, refused: true });
  });
});
