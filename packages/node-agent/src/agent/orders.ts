// The manager's orders as this agent applies them (issue 16 §1, §3). A signed order on a probe
// (controller-kit probe-order.ts) says what the leader's next status will say about an egress IP —
// claim it, or release it — only sooner: the agent acts at once (one pass: lease + address + GARP for
// a claim, address and lease gone for a release) instead of waiting for the status to reach its
// watch. An order bridges only that gap: it holds until the cache shows a different holder for the IP
// than when the order came (the status, from then on the record, decides) or for the order's hold at most (`holdMs`, below the managers' Lease less its renew deadline)
// (a status that never comes: the order is forgotten and the cache decides). An older order for an
// IP than the last one applied is ignored (probes may overtake each other). Pure but for the class.
import { canonicalIP } from '@static-egress/crds';
import type { ProbeOrder } from '@static-egress/controller-kit';

/**
 * How long an order that names no hold of its own holds without the status that records it: the
 * managers' default Lease (3 s) less its renew deadline (2 s) less a margin (controller-kit orderHoldMs),
 * so a deposed leader's order is forgotten before the next leader decides. A manager sends its own.
 */
export const ORDER_TTL_MS = 750;

export interface OrderedIP {
  claim: boolean;
  /** the manager's clock when it sent the order (orders for one IP apply in that order) */
  sentAt: number;
  /** our clock when it came */
  receivedAt: number;
  /** who the cache named as the holder when it came (undefined: nobody) */
  cachedHolder: string | undefined;
  /** how long it holds from `receivedAt` without the status (the order's own, else ORDER_TTL_MS) */
  holdMs: number;
}

export type OrderBook = ReadonlyMap<string, OrderedIP>;

/** What an order changes of a policy (crds' Policy, the agent's PolicyView). */
export interface Assigning {
  egressIPs: readonly string[];
  assignments: ReadonlyMap<string, string>;
}

/** The holder each egress IP has in these policies (the first policy that assigns it). */
export function holdersOf(policies: readonly Pick<Assigning, 'assignments'>[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of policies) for (const [ip, node] of p.assignments) if (!m.has(ip)) m.set(ip, node);
  return m;
}

/** The same from the policies' objects as the cache has them (no parse: an order is answered at once). */
export function holdersOfStatuses(objects: Iterable<{ status?: { assignments?: readonly { egressIP?: string; node?: string }[] } }>): Map<string, string> {
  const m = new Map<string, string>();
  for (const o of objects) {
    for (const a of o.status?.assignments ?? []) {
      const ip = canonicalIP(a.egressIP);
      if (ip && a.node && !m.has(ip)) m.set(ip, a.node);
    }
  }
  return m;
}

/** The book with one more order (each of its IPs unless a newer order for that IP is there). */
export function computeOrderBook(book: OrderBook, order: ProbeOrder, sentAt: number, now: number, holders: ReadonlyMap<string, string>): OrderBook {
  const next = new Map(book);
  const add = (ip: string, claim: boolean) => {
    const had = next.get(ip);
    if (had && had.sentAt > sentAt) return;
    next.set(ip, { claim, sentAt, receivedAt: now, cachedHolder: holders.get(ip), holdMs: order.holdMs ?? ORDER_TTL_MS });
  };
  for (const ip of order.claim) add(ip, true);
  for (const ip of order.release) add(ip, false);
  return next;
}

/**
 * The policies as the agent acts on them: each IP of the book assigned to us (claim) or not (release),
 * while its order holds; and the book without the orders that no longer hold.
 */
export function applyOrders<P extends Assigning>(
  policies: readonly P[], book: OrderBook, nodeName: string, now: number,
): { policies: P[]; book: OrderBook } {
  if (book.size === 0) return { policies: [...policies], book };
  const holders = holdersOf(policies);
  const live = new Map<string, OrderedIP>();
  for (const [ip, o] of book) {
    if (holders.get(ip) !== o.cachedHolder || now - o.receivedAt > o.holdMs) continue; // the status decides now
    if (o.claim ? holders.get(ip) !== nodeName : holders.get(ip) === nodeName) live.set(ip, o);
  }
  const out = policies.map((p) => {
    if (!p.egressIPs.some((ip) => live.has(ip))) return p;
    const assignments = new Map(p.assignments);
    for (const ip of p.egressIPs) {
      const o = live.get(ip);
      if (!o) continue;
      if (o.claim) assignments.set(ip, nodeName);
      else if (assignments.get(ip) === nodeName) assignments.delete(ip);
    }
    return { ...p, assignments };
  });
  return { policies: out, book: live };
}

/** The agent's book of orders (main.ts feeds it from /healthz and reads it in each pass's input). */
export class Orders {
  private book: OrderBook = new Map();

  constructor(private readonly nodeName: string, private readonly now: () => number) {}

  /** Records an order; `holders`: the cache's holders now. */
  record(order: ProbeOrder, sentAt: number, holders: ReadonlyMap<string, string>): void {
    this.book = computeOrderBook(this.book, order, sentAt, this.now(), holders);
  }

  /** The policies with the orders that hold applied; forgets the others. */
  apply<P extends Assigning>(policies: readonly P[]): P[] {
    const { policies: out, book } = applyOrders(policies, this.book, this.nodeName, this.now());
    this.book = book;
    return out;
  }

  get size(): number {
    return this.book.size;
  }
}
