// Authenticated manager probes (issue 14 §3). Only a probe signed with the key the managers hold
// counts as the manager's contact for a gateway's lease; anyone else may still read /healthz, but
// reading grants nothing. The token is an HMAC-SHA256 over the target node, the sender's clock, a
// random nonce and whether the manager vouches for the node (renew); the verifier accepts a token once,
// within a skew window, for its own node only, so a captured token cannot be replayed to keep a
// partitioned gateway alive or aimed at another node. Token: `v1.<ms>.<nonce>.<r|->.<mac>`.
// The manager's run for the node (issue 16: a run ends when the manager declares the node lost, so a
// probe of the run a lapsed lease was renewed in proves that nothing moved meanwhile) travels in a
// header of its own, `<run>.<mac>`, its MAC bound to the token's node, clock and nonce: an agent
// from before the run ignores the header and still verifies the token, so managers and agents may be
// upgraded in either order.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PROBE_ORDER_HEADER, signOrder, verifyOrderHeader, type ProbeOrder } from './probe-order.js';

/** HTTP header carrying the token. */
export const PROBE_AUTH_HEADER = 'x-static-egress-probe';
/** HTTP header carrying the manager's run for the node, bound to the token (issue 16). */
export const PROBE_RUN_HEADER = 'x-static-egress-probe-run';
const VERSION = 'v1';
/** Keys shorter than this are refused: a guessable key would let anyone keep a gateway alive. */
export const MIN_PROBE_KEY_BYTES = 16;

export interface ProbeKey {
  readonly bytes: Buffer;
}

/** Reads a key file (a mounted Secret's value); surrounding whitespace is ignored. */
export function loadProbeKey(path: string): ProbeKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the probe key file ${path}: ${(err as Error).message}`);
  }
  return probeKeyFromText(text, path);
}

export function probeKeyFromText(text: string, where = 'probe key'): ProbeKey {
  const bytes = Buffer.from(text.trim(), 'utf8');
  if (bytes.length < MIN_PROBE_KEY_BYTES) {
    throw new Error(`${where}: the probe key must be at least ${MIN_PROBE_KEY_BYTES} bytes (e.g. \`openssl rand -hex 32\`)`);
  }
  return { bytes };
}

/** A fresh random key, as the manager creates it when the Secret does not exist yet. */
export function generateProbeKeyText(): string {
  return randomBytes(32).toString('hex');
}

function mac(key: ProbeKey, node: string, ts: number, nonce: string, renew: boolean): Buffer {
  return createHmac('sha256', key.bytes).update(`${VERSION}\n${node}\n${ts}\n${nonce}\n${renew ? 'r' : '-'}`).digest();
}

function runMac(key: ProbeKey, node: string, ts: number, nonce: string, run: string): Buffer {
  return createHmac('sha256', key.bytes).update(`${VERSION}-run\n${node}\n${ts}\n${nonce}\n${run}`).digest();
}

const RUN_RE = /^[A-Za-z0-9_-]{4,32}$/;

export interface ProbeClaims {
  /**
   * The manager vouches for the node: its lease may be renewed. A manager sends `false` once it
   * suspects the node (a probe failed), so a node whose answers are lost stops renewing soon after.
   */
  renew: boolean;
  nonce?: string;
  /**
   * The manager's run for this node: a new one begins whenever the manager declares the node lost
   * (and with each manager process), so two probes of one run mean no verdict came between them.
   */
  run?: string;
  /** An order (probe-order.ts, issue 16): claim or release egress IPs now; bound to this token like the run. */
  order?: ProbeOrder;
}

/** The token a manager sends when probing `node` at `now` (ms since the epoch); `claims.run` is ignored (see probeHeaders). */
export function signProbe(key: ProbeKey, node: string, now: number, claims: ProbeClaims = { renew: true }): string {
  const nonce = claims.nonce ?? randomBytes(12).toString('base64url');
  const r = claims.renew ? 'r' : '-';
  return `${VERSION}.${now}.${nonce}.${r}.${mac(key, node, now, nonce, claims.renew).toString('base64url')}`;
}

/** The headers of a manager's probe of `node` at `now`: the token, and the run bound to it when there is one. */
export function probeHeaders(key: ProbeKey, node: string, now: number, claims: ProbeClaims = { renew: true }): Record<string, string> {
  const nonce = claims.nonce ?? randomBytes(12).toString('base64url');
  const headers: Record<string, string> = { [PROBE_AUTH_HEADER]: signProbe(key, node, now, { ...claims, nonce }) };
  if (claims.run === undefined) return claims.order ? { ...headers, [PROBE_ORDER_HEADER]: signOrder(key, node, now, nonce, claims.order) } : headers;
  if (!RUN_RE.test(claims.run)) throw new Error(`probe run id must match ${RUN_RE}: ${claims.run}`);
  headers[PROBE_RUN_HEADER] = `${claims.run}.${runMac(key, node, now, nonce, claims.run).toString('base64url')}`;
  if (claims.order) headers[PROBE_ORDER_HEADER] = signOrder(key, node, now, nonce, claims.order);
  return headers;
}

export type ProbeVerdict =
  | { ok: true; renew: boolean; sentAt: number; run?: string; order?: ProbeOrder }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'stale' | 'replayed' };

export interface ProbeVerifierOptions {
  key: ProbeKey;
  /** The node this verifier guards: tokens signed for another node are refused. */
  node: string;
  /** Accepted difference between the signer's and our clock (both sides run NTP). Default 30 s. */
  maxSkewMs?: number;
}

/**
 * Verifies tokens; each nonce is accepted once. Nonces are remembered for twice the skew window
 * (older tokens are refused as stale anyway), so memory is bounded by the probe rate.
 */
export class ProbeVerifier {
  private readonly seen = new Map<string, number>();
  private readonly maxSkewMs: number;

  constructor(private readonly opts: ProbeVerifierOptions) {
    this.maxSkewMs = opts.maxSkewMs ?? 30_000;
  }

  /**
   * `runHeader`, `orderHeader`: the PROBE_RUN_HEADER's and PROBE_ORDER_HEADER's values, if any; a run
   * or an order that is not bound to this token refuses the probe.
   */
  verify(token: string | string[] | undefined, now: number, runHeader?: string | string[], orderHeader?: string | string[]): ProbeVerdict {
    if (token === undefined) return { ok: false, reason: 'missing' };
    if (Array.isArray(token) || token.length > 200) return { ok: false, reason: 'malformed' };
    const parts = token.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const [, tsText, nonce, r, sig] = parts as [string, string, string, string, string];
    const ts = Number(tsText);
    if (!/^[0-9]{1,15}$/.test(tsText) || !/^[A-Za-z0-9_-]{8,64}$/.test(nonce) || (r !== 'r' && r !== '-')) return { ok: false, reason: 'malformed' };
    if (!macEquals(sig, mac(this.opts.key, this.opts.node, ts, nonce, r === 'r'))) return { ok: false, reason: 'bad-signature' };
    const run = this.boundRun(runHeader, ts, nonce);
    if (run === null) return { ok: false, reason: 'bad-signature' }; // a run not signed with this token
    const order = verifyOrderHeader(this.opts.key, this.opts.node, ts, nonce, orderHeader, macEquals);
    if (order === null) return { ok: false, reason: 'bad-signature' }; // an order not signed with this token
    if (Math.abs(now - ts) > this.maxSkewMs) return { ok: false, reason: 'stale' };
    this.forgetOlderThan(now - 2 * this.maxSkewMs);
    if (this.seen.has(nonce)) return { ok: false, reason: 'replayed' };
    this.seen.set(nonce, ts);
    return { ok: true, renew: r === 'r', sentAt: ts, ...(run === undefined ? {} : { run }), ...(order ? { order } : {}) };
  }

  /** The run in `header` when it is bound to this token (undefined: no header; null: a header that is not). */
  private boundRun(header: string | string[] | undefined, ts: number, nonce: string): string | undefined | null {
    if (header === undefined) return undefined;
    if (Array.isArray(header) || header.length > 100) return null;
    const dot = header.indexOf('.');
    const run = header.slice(0, dot);
    if (dot < 0 || !RUN_RE.test(run)) return null;
    return macEquals(header.slice(dot + 1), runMac(this.opts.key, this.opts.node, ts, nonce, run)) ? run : null;
  }

  private forgetOlderThan(limit: number): void {
    // Map iteration is insertion order, close to timestamp order: stop at the first young entry.
    for (const [nonce, ts] of this.seen) {
      if (ts >= limit) break;
      this.seen.delete(nonce);
    }
  }
}

function macEquals(text: string, want: Buffer): boolean {
  const got = Buffer.from(text, 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}
