import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** `true` (or `'ok'`) means healthy; `false` or any other string is the reason it is not. */
export type Check = () => boolean | string;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  /** Default `0.0.0.0`. */
  host?: string;
  /** `0` picks a free port (read it from the result). */
  port: number;
  registry?: Registry;
  healthz?: Check;
  readyz?: Check;
  /** Extra GET routes by exact path; they win over the built-in ones. */
  routes?: Record<string, RouteHandler>;
}

export interface HttpServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

function runCheck(check: Check | undefined): { ok: boolean; text: string } {
  if (!check) return { ok: true, text: 'ok' };
  try {
    const result = check();
    if (result === true || result === 'ok') return { ok: true, text: 'ok' };
    return { ok: false, text: result === false ? 'not ok' : result };
  } catch (err) {
    return { ok: false, text: `check failed: ${(err as Error).message}` };
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * One small HTTP server per daemon for probes and scraping: `/healthz` and `/readyz` answer
 * 200 `ok` or 503 with the reason, `/metrics` serves the registry. Checks must be cheap and
 * synchronous: the manager probes agents every few hundred ms.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const builtIn: Record<string, RouteHandler> = {
    '/healthz': (_req, res) => {
      const r = runCheck(options.healthz);
      send(res, r.ok ? 200 : 503, 'text/plain; charset=utf-8', `${r.text}\n`);
    },
    '/readyz': (_req, res) => {
      const r = runCheck(options.readyz);
      send(res, r.ok ? 200 : 503, 'text/plain; charset=utf-8', `${r.text}\n`);
    },
  };
  const registry = options.registry;
  if (registry) {
    builtIn['/metrics'] = async (_req, res) => {
      send(res, 200, registry.contentType, await registry.metrics());
    };
  }
  const routes = { ...builtIn, ...options.routes };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes[path];
    if (!handler) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
        else res.destroy();
      });
  });
  // Probes must not be held up by idle keep-alive sockets at shutdown.
  server.keepAliveTimeout = 5_000;

  const listen = (host: string) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let host = options.host ?? '0.0.0.0';
  // `::` (the daemons' default) takes IPv6 and IPv4 alike; a kernel without IPv6 gets IPv4's any
  await listen(host).catch(async (err: NodeJS.ErrnoException) => {
    if (host !== '::' || err.code !== 'EAFNOSUPPORT') throw err;
    host = '0.0.0.0';
    await listen(host);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
