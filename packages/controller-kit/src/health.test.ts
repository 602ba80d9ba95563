import assert from 'node:assert/strict';
import { startHttpServer, type HttpServer } from './health.js';
import { createRegistry } from './metrics.js';

describe('startHttpServer', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves healthz, readyz with reasons, metrics, extra routes and 404', async () => {
    let ready: boolean | string = 'caches not synced';
    const registry = createRegistry('static_egress_', { defaultMetrics: false });
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      healthz: () => true,
      readyz: () => ready,
      routes: { '/debug': (_req, res) => void res.end('dbg') },
    });
    assert.ok(server.port > 0);
    const base = `http://127.0.0.1:${server.port}`;

    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(await h.text(), 'ok\n');

    let r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 503);
    assert.equal(await r.text(), 'caches not synced\n');
    ready = true;
    r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 200);
    await r.text();

    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    await m.text();

    const d = await fetch(`${base}/debug`);
    assert.equal(await d.text(), 'dbg');
    const nf = await fetch(`${base}/nope`);
    assert.equal(nf.status, 404);
    await nf.text();
  });

  it('on `::` (the daemons\' default) it answers over IPv6 and IPv4 alike', async () => {
    server = await startHttpServer({ host: '::', port: 0, healthz: () => true });
    assert.equal(server.host, '::');
    for (const base of [`http://[::1]:${server.port}`, `http://127.0.0.1:${server.port}`]) {
      const h = await fetch(`${base}/healthz`);
      assert.equal(h.status, 200, base);
      await h.text();
    }
  });

  it('reports a throwing check as 503', async () => {
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      healthz: () => {
        throw new Error('kaput');
      },
    });
    const h = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(h.status, 503);
    assert.match(await h.text(), /kaput/);
  });
});
