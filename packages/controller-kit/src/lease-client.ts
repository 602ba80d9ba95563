// The leader elector's own connection to the API server (issue 16 §4). @kubernetes/client-node 1.x
// opens a new TLS connection for every request (a fresh https.Agent each time), so a renewal costs
// two handshakes on an event loop that a large pass keeps busy, and it waits in the same socket
// pool as thousands of status writes. This client keeps one keep-alive connection for the three
// Lease calls alone; the apiserver side gets its priority from manifests/manager/flowschema.yaml.
import https from 'node:https';
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseClient } from './leader-election.js';

/**
 * A `LeaseClient` on its own keep-alive connection; client-node's own client when a proxy or plain
 * HTTP is configured. A request taking longer than `timeoutMs` destroys its connection (the next
 * call opens a fresh one), so a hung renewal cannot hold up the ones after it.
 */
export function createLeaseClient(kc: KubeConfig, timeoutMs = 2000): LeaseClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.proxyUrl || !cluster.server.startsWith('https:')) return kc.makeApiClient(CoordinationV1Api);
  const base = cluster.server.replace(/\/+$/, '');
  let agent: https.Agent | undefined;
  const call = async (method: string, path: string, body?: V1Lease): Promise<V1Lease> => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts); // per call: a rotated token is picked up
    agent ??= new https.Agent({
      keepAlive: true, maxSockets: 1, ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase,
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    });
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined), accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) };
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return send(new URL(base + path), { method, agent, headers, timeout: timeoutMs }, body);
  };
  const leases = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;
  return {
    readNamespacedLease: ({ name, namespace }) => call('GET', `${leases(namespace)}/${encodeURIComponent(name)}`),
    createNamespacedLease: ({ namespace, body }) => call('POST', leases(namespace), body),
    replaceNamespacedLease: ({ name, namespace, body }) => call('PUT', `${leases(namespace)}/${encodeURIComponent(name)}`, body),
  };
}

/** One request; a non-2xx answer rejects with `code` set to the HTTP status (as client-node's ApiException). */
function send(url: URL, opts: https.RequestOptions, body: V1Lease | undefined): Promise<V1Lease> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) {
          try {
            resolve(JSON.parse(text) as V1Lease);
          } catch (err) {
            reject(err as Error);
          }
          return;
        }
        reject(Object.assign(new Error(`${opts.method} ${url.pathname}: HTTP ${code} ${text.slice(0, 200)}`), { code }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${opts.method} ${url.pathname}: no answer within ${opts.timeout} ms`)));
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
