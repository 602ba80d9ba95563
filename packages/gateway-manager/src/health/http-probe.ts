// The real probe (issue 16): one GET of the agent's /healthz over a fresh TCP connection, so every
// probe also asks the node's kernel. The handshake is answered by the kernel from the listen
// backlog even while the agent's event loop stalls; a node whose kernel completed it (`reachable`),
// or refused it (`refused`), is up and forwarding: only a node that answers nothing is lost. A
// kept-alive connection would hide that distinction (and a dead one costs a timeout to notice).
import { request } from 'node:http';
import type { ProbeFetch, ProbeResponse } from './prober.js';

const HOST_UP_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * 200 is healthy; a JSON body may list the egress IPs the agent holds and its lease; an agent that
 * says it is self-fenced (`"fenced": true`) counts as a failed probe. Never rejects: an abort
 * (the prober's timeout) settles with whether the node's kernel had completed the handshake.
 */
export const httpProbe: ProbeFetch = (url, signal, headers) => new Promise<ProbeResponse>((resolve) => {
  let connected = false;
  let settled = false;
  const done = (r: ProbeResponse): void => {
    if (settled) return;
    settled = true;
    resolve(r);
  };
  const req = request(url, { agent: false, headers: { ...headers, connection: 'close' }, signal }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => { text += d; });
    res.on('end', () => done(parseHealthBody(res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), text)));
    res.on('error', () => done({ ok: false, reachable: true }));
  });
  req.on('socket', (socket) => {
    socket.setNoDelay(true);
    socket.once('connect', () => { connected = true; });
  });
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (HOST_UP_CODES.has(err.code ?? '')) done({ ok: false, refused: true });
    else done(connected ? { ok: false, reachable: true } : { ok: false });
  });
  req.end();
});

/** What a /healthz answer says (pure). */
export function parseHealthBody(status: number, contentType: string, text: string): ProbeResponse {
  if (status !== 200) return { ok: false }; // the agent answered: a refusal of its own, not a stall
  if (!contentType.includes('json')) return { ok: true };
  try {
    const body = JSON.parse(text) as { egressIPs?: unknown; fenced?: unknown; leaseMs?: unknown; restartLeaseMs?: unknown };
    if (body.fenced === true) return { ok: false, fenced: true };
    return {
      ok: true,
      ...(Array.isArray(body.egressIPs) ? { egressIPs: body.egressIPs.filter((x): x is string => typeof x === 'string') } : {}),
      ...(isDuration(body.leaseMs) ? { leaseMs: body.leaseMs } : {}),
      ...(isDuration(body.restartLeaseMs) ? { restartLeaseMs: body.restartLeaseMs } : {}),
    };
  } catch {
    return { ok: true }; // a non-JSON body still counts as healthy
  }
}

function isDuration(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 3_600_000;
}
