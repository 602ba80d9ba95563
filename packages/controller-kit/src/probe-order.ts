// The manager's orders on its probe channel (issue 16 §1, §3): when the leader moves an egress IP it
// tells the new holder (`claim`) and the old one (`release`) on an immediate probe instead of waiting
// for its status write to reach their watches; the status, written right after as before, stays the
// durable record. The order travels in a header of its own, `claim=<ip>,…;release=<ip>,…;<mac>`, its
// MAC bound to the probe token's node, clock and nonce like the run header's (probe-auth.ts): it is
// accepted once (the token's nonce), for its node only, within the token's skew window, so a captured
// order can neither be replayed nor aimed at another node. An agent from before orders ignores the
// header (the probe is an ordinary probe to it); a manager from before sends none. Pure but for HMAC.
import { createHmac } from 'node:crypto';
import { canonicalIP } from '@static-egress/crds';

/** HTTP header carrying a manager's order, bound to the probe token (issue 16). */
export const PROBE_ORDER_HEADER = 'x-static-egress-order';
const VERSION = 'v1-order';
/** At most this many IPs in one order (a header stays small; a larger move goes through the status). */
export const MAX_ORDER_IPS = 64;

/** What the manager orders one node to do now. */
export interface ProbeOrder {
  /** egress IPs this node is to hold now (the leader's assignment, before its status is written) */
  claim: readonly string[];
  /** egress IPs this node is to let go now */
  release: readonly string[];
  /**
   * How long the agent may act on the order without the status that records it (ms, 1–10,000).
   * The manager sends less than its Lease's duration minus its renew deadline (orderHoldMs): an
   * order of a leader that has just lost its term is forgotten before another leader can decide.
   */
  holdMs?: number;
}

/** The longest hold an order may name. */
export const MAX_ORDER_HOLD_MS = 10_000;

/**
 * How long an order may hold under a leader election of `leaseDurationMs`/`renewDeadlineMs`: a deposed
 * leader's last order is sent at most `renewDeadlineMs` after its last renewal and the next leader
 * decides no sooner than `leaseDurationMs` after it, so an order held for less than the difference
 * (less `marginMs` for delivery and clock rates) never meets the next leader's orders. 0: send none.
 */
export function orderHoldMs(leaseDurationMs: number, renewDeadlineMs: number, marginMs = 250): number {
  const hold = Math.min(MAX_ORDER_HOLD_MS, leaseDurationMs - renewDeadlineMs - marginMs);
  return hold >= 50 ? Math.floor(hold) : 0;
}

function orderMac(key: { bytes: Buffer }, node: string, ts: number, nonce: string, body: string): Buffer {
  return createHmac('sha256', key.bytes).update(`${VERSION}\n${node}\n${ts}\n${nonce}\n${body}`).digest();
}

/** The order's text without its MAC (canonical: the verifier MACs exactly this). */
export function formatOrder(order: ProbeOrder): string {
  const hold = order.holdMs === undefined ? '' : `;hold=${order.holdMs}`;
  return `claim=${order.claim.join(',')};release=${order.release.join(',')}${hold}`;
}

/** The header value of `order` for the probe token signed for `node` at `ts` with `nonce`. */
export function signOrder(key: { bytes: Buffer }, node: string, ts: number, nonce: string, order: ProbeOrder): string {
  const body = formatOrder(validateOrder(order));
  return `${body};${orderMac(key, node, ts, nonce, body).toString('base64url')}`;
}

/** Checks an order before it is signed: canonical addresses, each once, none both claimed and released. */
export function validateOrder(order: ProbeOrder): ProbeOrder {
  const all = [...order.claim, ...order.release];
  if (all.length === 0) throw new Error('an order must claim or release at least one egress IP');
  if (all.length > MAX_ORDER_IPS) throw new Error(`an order names at most ${MAX_ORDER_IPS} egress IPs, not ${all.length}`);
  for (const ip of all) if (canonicalIP(ip) !== ip) throw new Error(`an order names egress IPs in canonical form: ${ip}`);
  if (new Set(all).size !== all.length) throw new Error(`an order names each egress IP once: ${all.join(',')}`);
  const h = order.holdMs;
  if (h !== undefined && !(Number.isInteger(h) && h >= 1 && h <= MAX_ORDER_HOLD_MS)) throw new Error(`an order holds 1–${MAX_ORDER_HOLD_MS} ms, not ${h}`);
  return order;
}

/** The order's text parsed (pure): undefined when it is not one. */
export function parseOrder(body: string): ProbeOrder | undefined {
  const m = /^claim=([^;]*);release=([^;]*)(?:;hold=(\d{1,5}))?$/.exec(body);
  if (!m) return undefined;
  const list = (s: string): string[] | undefined => {
    if (s === '') return [];
    const ips = s.split(',');
    return ips.every((ip) => canonicalIP(ip) === ip) ? ips : undefined;
  };
  const claim = list(m[1]!);
  const release = list(m[2]!);
  if (!claim || !release) return undefined;
  try {
    return validateOrder({ claim, release, ...(m[3] === undefined ? {} : { holdMs: Number(m[3]) }) });
  } catch {
    return undefined;
  }
}

/**
 * The order in `header` when it is bound to the token (node, ts, nonce) and well-formed; null when a
 * header is there but is not (forged, aimed elsewhere, malformed); undefined when there is none.
 */
export function verifyOrderHeader(
  key: { bytes: Buffer }, node: string, ts: number, nonce: string, header: string | string[] | undefined,
  macEquals: (text: string, want: Buffer) => boolean,
): ProbeOrder | undefined | null {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || header.length > 4_000) return null;
  const cut = header.lastIndexOf(';');
  if (cut < 0) return null;
  const body = header.slice(0, cut);
  if (!macEquals(header.slice(cut + 1), orderMac(key, node, ts, nonce, body))) return null;
  return parseOrder(body) ?? null;
}
