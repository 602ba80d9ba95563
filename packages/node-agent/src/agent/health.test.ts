import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeClock, createRegistry, silentLogger, startHttpServer, type HttpServer } from '@static-egress/controller-kit';
import { httpProbe } from '@static-egress/gateway-manager';
import { fixtureInput } from '../desired/fixtures.js';
import { createFakeKernel } from '../kernel/fake.js';
import { createAgentMetrics } from '../metrics.js';
import { emptyEgressCounters } from '../reconcile/counters.js';
import { NodeSyncer } from '../reconcile/syncer.js';
import type { RenderConfig } from '../render/types.js';
import { Fence } from '../fencing/fence.js';
import { SelfFencing } from '../fencing/self-fencing.js';
import { Agent } from './agent.js';
import { type HealthzOptions, healthzRoute } from './health.js';

const render: RenderConfig = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };

/** Calls the handler as if a probe came from `remoteAddress` (no socket needed). */
function probeFrom(handler: ReturnType<typeof healthzRoute>, remoteAddress: string): { status?: number; body: string } {
  const out: { status?: number; body: string } = { body: '' };
  const req = { socket: { remoteAddress }, method: 'GET' } as unknown as IncomingMessage;
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
    const url = await serve({ fence, localIPs: () => new Set(['192.0.2.11']), held: () => held, fenced: () => false });
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

  it('a probe from another host is contact for self-fencing, one from this host is not', async () => {
    const clock = new FakeClock();
    const fence = new Fence(clock, 3000);
    const handler = healthzRoute({ fence, localIPs: () => new Set(['192.0.2.11']), held: () => new Set(), fenced: () => false });
    clock.advance(3001);
    assert.equal(fence.isFenced(), true);
    for (const local of ['127.0.0.1', '::1', '::ffff:192.0.2.11']) {
      assert.equal(probeFrom(handler, local).status, 200);
      assert.equal(fence.isFenced(), true, `${local} is not the manager`);
    }
    assert.equal(probeFrom(handler, '::ffff:192.0.2.201').status, 200);
    assert.equal(fence.isFenced(), false);
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
      inputs: ({ fenced, previousSlots }) => ({ ...fixtureInput(), fenced, ...(previousSlots ? { previousSlots } : {}) }),
    });
    const o: HealthzOptions = { fence, localIPs: () => new Set(['192.0.2.11']), held: () => syncer.heldAddresses, fenced: () => agent.fenced };
    const url = await serve(o);
    const body = async () => (await fetch(url)).json() as Promise<unknown>;
    try {
      assert.deepEqual(await body(), { status: 'ok', fenced: false }, 'before the first sync nothing is known');
      agent.start({ syncer, render });
      await clock.advanceAsync(100);
      assert.deepEqual(await body(), { status: 'ok', egressIPs: ['192.0.2.102'], fenced: false });
      await clock.advanceAsync(3500); // no contact: fenced, the address goes (local probes are no contact)
      assert.deepEqual(await body(), { status: 'ok', egressIPs: [], fenced: true });
      assert.deepEqual(kernel.addresses.addrs, []);
      probeFrom(healthzRoute(o), '192.0.2.201'); // the manager probes again
      await clock.advanceAsync(300);
      assert.deepEqual(await body(), { status: 'ok', egressIPs: ['192.0.2.102'], fenced: false });
    } finally {
      await agent.stop();
    }
  });
});
