import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeClock, PROBE_AUTH_HEADER, PROBE_RUN_HEADER, ProbeVerifier, createRegistry, probeHeaders, probeKeyFromText, signProbe, silentLogger, startHttpServer, type HttpServer,
} from '@static-egress/controller-kit';
import { httpProbe } from '@static-egress/gateway-manager';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import type { RenderConfig } from '../render/types.js';
import { Fence } from '../fencing/fence.js';
import { LeaseKeeper } from '../fencing/lease-keeper.js';
import { FakeLeaseTable } from '../kernel/fake-lease.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { Agent } from './agent.js';
import { acceptProbe, type HealthzOptions, healthzRoute } from './health.js';

const key = probeKeyFromText('0123456789abcdef0123456789abcdef');
const A = '192.0.2.102';
const render: RenderConfig = RENDER_FIXTURE;

/** Calls the handler as if a probe came from `remoteAddress` (no socket needed). */
function probeFrom(handler: ReturnType<typeof healthzRoute>, remoteAddress: string, token?: string): { status?: number; body: string } {
  const out: { status?: number; body: string } = { body: '' };
  const req = { socket: { remoteAddress }, method: 'GET', headers: token ? { [PROBE_AUTH_HEADER]: token } : {} } as unknown as IncomingMessage;
  const res = { writeHead: (s: number) => { out.status = s; }, end: (b?: string) => { out.body = b ?? ''; } } as unknown as ServerResponse;
  void handler(req, res);
  return out;
}

describe('agent /healthz', () => {
  const servers: HttpServer[] = [];
  const serve = async (o: HealthzOptions) => {
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, routes: { '/healthz': healthzRoute(o) } });
    servers.push(server);
    return `http://127.0.0.1:${server.port}/healthz`;
  };
  afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

  it('answers 200 JSON with the egress IPs on the uplink, which the manager\'s probe reads', async () => {
    const clock = new FakeClock();
    const fence = new Fence(clock, 3000);
    let held: ReadonlySet<string> | null = new Set(['192.0.2.102', '192.0.2.100']);
    const url = await serve({ fence, now: () => clock.now(), held: () => held, fenced: () => false });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { status: 'ok', egressIPs: ['192.0.2.100', '192.0.2.102'], fenced: false });
    assert.deepEqual(await httpProbe(url, new AbortController().signal), { ok: true, egressIPs: ['192.0.2.100', '192.0.2.102'] });
    held = new Set();
    assert.deepEqual(await httpProbe(url, new AbortController().signal), { ok: true, egressIPs: [] });
    // not known yet (a restarted agent before its first kernel read): no list, so no false "released"
    held = null;
    assert.deepEqual(await (await fetch(url)).json(), { status: 'ok', fenced: false });
    assert.deepEqual(await httpProbe(url, new AbortController().signal), { ok: true });
  });

  it('only a probe signed with the managers\' key, vouching and in time, is contact (a pod polling it is not)', async () => {
    const clock = new FakeClock(1_000_000);
    const fence = new Fence(clock, 300);
    const table = new FakeLeaseTable(clock);
    await table.ensure([A]);
    await table.claim([A], 300);
    const lease = new LeaseKeeper({ clock, table, settings: { leaseMs: 300, lateToleranceMs: 100, restartLeaseMs: 10_000 },
      held: () => new Set([A]), onLapsed: () => {}, onError: (e) => { throw e; } });
    const refused: string[] = [];
    const handler = healthzRoute({ fence, verifier: new ProbeVerifier({ key, node: 'n1' }), lease: Object.assign(lease, { restartLeaseMs: 10_000 }),
      now: () => clock.now(), held: () => new Set([A]), fenced: () => false, onRefused: (r) => refused.push(r) });
    const probe = (token?: string) => probeFrom(handler, '192.0.2.201', token);
    // a pod (or a monitoring system) polls every 50 ms for 400 ms: no contact, the lease runs out
    for (let t = 0; t < 400; t += 50) { assert.equal(probe().status, 200); clock.advance(50); }
    assert.equal(fence.isFenced(), true);
    assert.equal((await table.leased()).size, 0, 'the kernel lease ran out under the pod\'s polling');
    // forged, for another node, replayed, or not vouching: no contact either
    const other = probeKeyFromText('ffffffffffffffffffffffffffffffff');
    probe(signProbe(other, 'n1', clock.now()));
    probe(signProbe(key, 'n2', clock.now()));
    const t1 = signProbe(key, 'n1', clock.now(), { renew: false });
    probe(t1);
    assert.equal(fence.isFenced(), true);
    assert.deepEqual(refused, ['bad-signature', 'bad-signature']);
    // the manager's probe: contact
    const good = signProbe(key, 'n1', clock.now());
    probe(good);
    assert.equal(fence.isFenced(), false);
    clock.advance(301);
    probe(good);
    assert.equal(fence.isFenced(), true, 'a replayed token is no contact');
    assert.deepEqual(refused.at(-1), 'replayed');
    const body = JSON.parse(probe().body) as Record<string, unknown>;
    assert.equal(body['leaseMs'], 400, 'lease + late tolerance, for the manager');
    assert.equal(body['restartLeaseMs'], 10_000);
  });

  it('the manager\'s run reaches the contact from its own header (issue 16), and only when it is bound to the token', () => {
    const clock = new FakeClock(1_000_000);
    const verifier = new ProbeVerifier({ key, node: 'n1' });
    const o = { verifier, now: () => clock.now() };
    const h = probeHeaders(key, 'n1', clock.now(), { renew: true, run: 'run-1' });
    assert.equal(acceptProbe(o, h[PROBE_AUTH_HEADER], h[PROBE_RUN_HEADER])?.run, 'run-1');
    const h2 = probeHeaders(key, 'n1', clock.now(), { renew: true, run: 'run-1' });
    assert.equal(acceptProbe(o, h2[PROBE_AUTH_HEADER])?.run, undefined, 'no run header: a contact without a run');
    const h3 = probeHeaders(key, 'n1', clock.now(), { renew: true, run: 'run-1' });
    assert.equal(acceptProbe(o, h3[PROBE_AUTH_HEADER], 'run-2.' + h3[PROBE_RUN_HEADER]!.split('.')[1]), null, 'a run that was not signed with this token: no contact');
  });

  it('fenced: the addresses are dropped and egressIPs is empty; the manager\'s probe restores them', async () => {
    const clock = new FakeClock();
    const kernel = createFakeKernel(['eth0']);
    const syncer = new NodeSyncer(kernel, { render, ranges: fixtureInput().ranges });
    const fence = new Fence(clock, 3000);
    const metrics = createAgentMetrics(createRegistry('static_egress_', { defaultMetrics: false }), async () => emptyEgressCounters());
    const fencing = new SelfFencing({
      clock, logger: silentLogger, fence, gauge: metrics.fenced,
      confirmHeld: async () => new Set(['192.0.2.102']), // the API still assigns it here
    });
    const agent = new Agent({
      clock, logger: silentLogger, metrics, fencing, resyncIntervalMs: 10_000,
      inputs: ({ fenced, holdOnly, previousSlots }) => ({ ...fixtureInput(), fenced, ...(holdOnly ? { holdOnly } : {}), ...(previousSlots ? { previousSlots } : {}) }),
    });
    const verifier = new ProbeVerifier({ key, node: 'n1' });
    const o: HealthzOptions = { fence, verifier, now: () => clock.now(), held: () => syncer.heldAddresses, fenced: () => agent.fenced };
    const url = await serve(o);
    const body = async () => (await fetch(url)).json() as Promise<unknown>;
    try {
      assert.deepEqual(await body(), { status: 'ok', fenced: false }, 'before the first sync nothing is known');
      agent.start({ syncer, render });
      await clock.advanceAsync(100);
      assert.deepEqual(await body(), { status: 'ok', egressIPs: ['192.0.2.102'], fenced: false });
      await clock.advanceAsync(3500); // no contact: fenced, the address goes (unsigned probes are no contact)
      assert.deepEqual(await body(), { status: 'ok', egressIPs: [], fenced: true });
      assert.deepEqual(kernel.addresses.addrs, []);
      probeFrom(healthzRoute(o), '192.0.2.201', signProbe(key, 'n1', clock.now())); // the manager probes again
      await clock.advanceAsync(1100);
      assert.deepEqual(await body(), { status: 'ok', egressIPs: ['192.0.2.102'], fenced: false });
    } finally {
      await agent.stop();
    }
  });
});
