import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeProber, httpProbe, type ProbeFetch, type ProbeResponse } from './prober.js';

/** Agents whose answer the test sets per address; 'hang' never answers (until aborted). */
function fakeAgents() {
  const answers = new Map<string, ProbeResponse | 'hang'>();
  const urls: string[] = [];
  const fetch: ProbeFetch = (url, signal) => {
    urls.push(url);
    const host = new URL(url).hostname;
    const a = answers.get(host) ?? { ok: false };
    if (a === 'hang') {
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    return Promise.resolve(a);
  };
  return { answers, urls, fetch };
}

function setup(threshold = 3) {
  const clock = new FakeClock();
  const agents = fakeAgents();
  const changes: string[] = [];
  const failures: string[] = [];
  const prober = new NodeProber({
    clock,
    fetch: agents.fetch,
    port: 9310,
    intervalMs: 100,
    timeoutMs: 200,
    failureThreshold: threshold,
    onChange: (node, healthy) => changes.push(`${node}=${healthy}`),
    onFailure: (node) => failures.push(node),
  });
  return { clock, agents, changes, failures, prober };
}

describe('NodeProber', () => {
  it('probes /healthz on the node address and reports healthy after the first success', async () => {
    const { clock, agents, changes, prober } = setup();
    agents.answers.set('192.0.2.11', { ok: true });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(0);
    assert.deepEqual(changes, ['n1=true']);
    assert.deepEqual(agents.urls, ['http://192.0.2.11:9310/healthz']);
    await clock.advanceAsync(1000);
    assert.equal(agents.urls.length, 11, 'one probe per interval');
    assert.deepEqual(changes, ['n1=true'], 'no repeated verdicts');
    prober.stop();
  });

  it('turns unhealthy after N consecutive failures, healthy again after one success', async () => {
    const { clock, agents, changes, failures, prober } = setup(3);
    agents.answers.set('192.0.2.11', { ok: true });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(0);
    agents.answers.set('192.0.2.11', { ok: false });
    await clock.advanceAsync(200); // failures at t=100, 200
    assert.deepEqual(changes, ['n1=true']);
    await clock.advanceAsync(100); // third failure
    assert.deepEqual(changes, ['n1=true', 'n1=false']);
    assert.equal(failures.length, 3);
    assert.deepEqual([...prober.health()], [['n1', false]]);
    agents.answers.set('192.0.2.11', { ok: true });
    await clock.advanceAsync(100);
    assert.deepEqual(changes, ['n1=true', 'n1=false', 'n1=true']);
    prober.stop();
  });

  it('keeps probing every interval while earlier probes hang: detection = timeout + (N-1) × interval', async () => {
    const { clock, agents, changes, prober } = setup(3);
    agents.answers.set('192.0.2.13', { ok: true });
    prober.setTargets([{ node: 'n3', address: '192.0.2.13' }]);
    await clock.advanceAsync(0);
    agents.answers.set('192.0.2.13', 'hang'); // the node goes dark just after t=0
    const urlsBefore = agents.urls.length;
    await clock.advanceAsync(499); // probes sent at 100, 200, 300, 400; the one sent at 300 times out at 500
    assert.equal(agents.urls.length - urlsBefore, 4, 'a probe per interval even while three hang');
    assert.deepEqual(changes, ['n3=true']);
    await clock.advanceAsync(1);
    assert.deepEqual(changes, ['n3=true', 'n3=false'], 'unhealthy at 500 ms, not at 100 + 3 × 200');
    prober.stop();
  });

  it('counts a probe that does not answer within the timeout as a failure', async () => {
    const { clock, agents, changes, prober } = setup(2);
    agents.answers.set('192.0.2.12', 'hang');
    prober.setTargets([{ node: 'n2', address: '192.0.2.12' }]);
    await clock.advanceAsync(199);
    assert.deepEqual(changes, []);
    await clock.advanceAsync(1); // first timeout at 200, next probe starts at once
    await clock.advanceAsync(200); // second timeout at 400
    assert.deepEqual(changes, ['n2=false']);
    prober.stop();
  });

  it('keeps what the agent reports holding, forgets removed targets', async () => {
    const { clock, agents, prober } = setup();
    agents.answers.set('192.0.2.11', { ok: true, egressIPs: ['192.0.2.100'] });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(0);
    assert.deepEqual([...(prober.held('n1') ?? [])], ['192.0.2.100']);
    prober.setTargets([]);
    assert.equal(prober.held('n1'), undefined);
    assert.equal(prober.health().size, 0);
    await clock.advanceAsync(1000);
    assert.equal(agents.urls.length, 1, 'a removed target is not probed any more');
    prober.stop();
  });

  it('restarts a target whose address changed', async () => {
    const { clock, agents, prober } = setup();
    agents.answers.set('192.0.2.11', { ok: true });
    agents.answers.set('192.0.2.21', { ok: true });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(0);
    prober.setTargets([{ node: 'n1', address: '192.0.2.21' }]);
    await clock.advanceAsync(0);
    assert.deepEqual(agents.urls, ['http://192.0.2.11:9310/healthz', 'http://192.0.2.21:9310/healthz']);
    prober.stop();
    assert.equal(clock.pending(), 0, 'stop leaves no timers');
  });
});

describe('NodeProber: refused connections (agent restarting, host up)', () => {
  function refusingSetup(graceMs: number) {
    const clock = new FakeClock(0);
    const agents = fakeAgents();
    const changes: string[] = [];
    const prober = new NodeProber({
      clock, fetch: agents.fetch, port: 9310, intervalMs: 100, timeoutMs: 200, failureThreshold: 3, refusedGraceMs: graceMs,
      onChange: (node, healthy) => changes.push(`${node}=${healthy}`),
    });
    agents.answers.set('192.0.2.11', { ok: true });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    return { clock, agents, changes, prober };
  }

  it('keep a node healthy for the grace, then count as failures', async () => {
    const { clock, agents, changes, prober } = refusingSetup(3000);
    await clock.advanceAsync(50);
    assert.deepEqual(changes, ['n1=true']);
    agents.answers.set('192.0.2.11', { ok: false, refused: true });
    await clock.advanceAsync(2900);
    assert.deepEqual(changes, ['n1=true'], 'within the grace: still healthy');
    agents.answers.set('192.0.2.11', { ok: true }); // the agent is back
    await clock.advanceAsync(200);
    agents.answers.set('192.0.2.11', { ok: false, refused: true }); // a new run of refusals starts its own grace
    await clock.advanceAsync(2900);
    assert.deepEqual(changes, ['n1=true']);
    await clock.advanceAsync(400); // grace over: three more refusals are three failures
    assert.deepEqual(changes, ['n1=true', 'n1=false']);
    prober.stop();
  });

  it('a node that stops answering altogether is not covered by the grace', async () => {
    const { clock, agents, changes, prober } = refusingSetup(3000);
    await clock.advanceAsync(50);
    agents.answers.set('192.0.2.11', { ok: false, refused: true });
    await clock.advanceAsync(1000);
    agents.answers.set('192.0.2.11', 'hang'); // the node died while its agent restarted
    await clock.advanceAsync(500);
    assert.deepEqual(changes, ['n1=true', 'n1=false']);
    prober.stop();
  });

  it('without a grace a refusal is a failure like any other', async () => {
    const { clock, agents, changes, prober } = refusingSetup(0);
    await clock.advanceAsync(50);
    agents.answers.set('192.0.2.11', { ok: false, refused: true });
    await clock.advanceAsync(400);
    assert.deepEqual(changes, ['n1=true', 'n1=false']);
    prober.stop();
  });
});

describe('httpProbe', () => {
  it('reads status and body: held IPs, a self-fenced agent is a failure, non-200 is a failure', async () => {
    let reply: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '' };
    const server = createServer((_req, res) => res.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    const probe = () => httpProbe(url, new AbortController().signal);
    try {
      reply = { status: 200, type: 'application/json', body: '{"status":"ok","egressIPs":["192.0.2.100"],"fenced":false}' };
      assert.deepEqual(await probe(), { ok: true, egressIPs: ['192.0.2.100'] });
      reply = { status: 200, type: 'application/json', body: '{"status":"ok","egressIPs":[],"fenced":true}' };
      assert.deepEqual(await probe(), { ok: false, fenced: true });
      reply = { status: 200, type: 'text/plain', body: 'ok' };
      assert.deepEqual(await probe(), { ok: true });
      reply = { status: 503, type: 'application/json', body: '{}' };
      assert.deepEqual(await probe(), { ok: false });
    } finally {
      await new Promise((r) => server.close(r));
    }
    // Nothing listens on the port any more: the host's kernel refuses the connection.
    assert.deepEqual(await probe(), { ok: false, refused: true });
  });
});

describe('NodeProber: leases (issue 14 §4: one IP on one node, ever)', () => {
  function leaseSetup(answer: ProbeResponse) {
    const clock = new FakeClock(0);
    const agents = fakeAgents();
    const changes: string[] = [];
    const headers: (Record<string, string> | undefined)[] = [];
    const prober = new NodeProber({
      clock, port: 9310, intervalMs: 100, timeoutMs: 200, failureThreshold: 3, refusedGraceMs: 1000, leaseMarginMs: 25,
      fetch: (url, signal, h) => { headers.push(h); return agents.fetch(url, signal); },
      authenticate: (node, { renew }) => ({ 'x-static-egress-probe': `token-for-${node}-${renew ? 'renew' : 'suspect'}` }),
      onChange: (node, healthy) => changes.push(`${clock.now()}:${node}=${healthy}`),
    });
    agents.answers.set('192.0.2.11', answer);
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    return { clock, agents, changes, prober, headers };
  }

  it('signs every probe for its node, and stops vouching (renew) from the first failure until an answer', async () => {
    const { clock, agents, prober, headers } = leaseSetup({ ok: true });
    await clock.advanceAsync(250);
    agents.answers.set('192.0.2.11', { ok: false });
    await clock.advanceAsync(200);
    agents.answers.set('192.0.2.11', { ok: true });
    await clock.advanceAsync(200);
    const sent = headers.map((h) => h?.['x-static-egress-probe']?.replace('token-for-n1-', ''));
    assert.deepEqual(sent, ['renew', 'renew', 'renew', 'renew', 'suspect', 'suspect', 'renew']);
    prober.stop();
  });

  it('moves nothing off a lost node until the lease its agent reported has run out, plus the margin', async () => {
    const { clock, agents, changes, prober } = leaseSetup({ ok: true, leaseMs: 600 });
    await clock.advanceAsync(0); // last good answer at t=0
    agents.answers.set('192.0.2.11', { ok: false });
    // the probe sent at t=100 still vouched for the node (it may have arrived): lease to t=700
    await clock.advanceAsync(300); // threshold reached at t=300, but the lease runs
    assert.deepEqual(changes, ['0:n1=true']);
    await clock.advanceAsync(424); // t=724: lease over, margin (25 ms) not yet
    assert.deepEqual(changes, ['0:n1=true']);
    await clock.advanceAsync(1); // t=725: flipped as the lease ends, not at the next probe's timeout
    assert.deepEqual(changes, ['0:n1=true', '725:n1=false']);
    prober.stop();
  });

  it('a short lease does not delay detection', async () => {
    const { clock, agents, changes, prober } = leaseSetup({ ok: true, leaseMs: 100 });
    await clock.advanceAsync(0);
    agents.answers.set('192.0.2.11', { ok: false });
    await clock.advanceAsync(300); // lease from the t=100 probe: to 200 (+50)
    assert.deepEqual(changes, ['0:n1=true', '300:n1=false']);
    prober.stop();
  });

  it('once the agent is seen restarting, its stretched restart lease is waited out even if the node then goes dark', async () => {
    const { clock, agents, changes, prober } = leaseSetup({ ok: true, leaseMs: 100, restartLeaseMs: 2000 });
    await clock.advanceAsync(0);
    agents.answers.set('192.0.2.11', { ok: false, refused: true }); // agent restarting (SIGTERM stretched the lease)
    await clock.advanceAsync(200);
    agents.answers.set('192.0.2.11', { ok: false }); // then the node is lost altogether
    await clock.advanceAsync(1824);
    assert.deepEqual(changes, ['0:n1=true'], 'the restart lease (to t=2000, +25) is still running');
    await clock.advanceAsync(1);
    assert.deepEqual(changes, ['0:n1=true', '2025:n1=false']);
    prober.stop();
  });
});

describe('NodeProber: a self-fenced gateway', () => {
  it('is given the grace to take its IPs back (a leader change), then counts as failing', async () => {
    const clock = new FakeClock(0);
    const agents = fakeAgents();
    const changes: string[] = [];
    const prober = new NodeProber({
      clock, fetch: agents.fetch, port: 9310, intervalMs: 100, timeoutMs: 200, failureThreshold: 3, fencedGraceMs: 1000,
      onChange: (node, healthy) => changes.push(`${clock.now()}:${node}=${healthy}`),
    });
    agents.answers.set('192.0.2.11', { ok: true });
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(0);
    agents.answers.set('192.0.2.11', { ok: false, fenced: true });
    await clock.advanceAsync(500);
    agents.answers.set('192.0.2.11', { ok: true }); // confirmed by the API: holds its IPs again
    await clock.advanceAsync(100);
    assert.deepEqual(changes, ['0:n1=true'], 'a short fence moves nothing');
    agents.answers.set('192.0.2.11', { ok: false, fenced: true });
    await clock.advanceAsync(1300);
    assert.deepEqual(changes, ['0:n1=true', '1900:n1=false'], 'fenced past the grace: 3 failures after it');
    prober.stop();
  });
});
