// One Event per object, reason and message while it stands (client-go's EventCorrelator, reduced to
// what both daemons need): the same Event again within `ttlMs` is dropped. The daemons derive
// Events from a change, so a repeat means the change was seen twice (a cache that lagged behind the
// daemon's own writes, a pass retried after a failed write), not that it happened twice.

export const DEFAULT_EVENT_REPEAT_MS = 10 * 60_000;

/** The identity of an Event for deduplication: its object, reason and message. */
export function eventKey(uid: string, reason: string, message: string): string {
  return `${uid}\u0000${reason}\u0000${message}`;
}

export class RecentEvents {
  private readonly at = new Map<string, number>();
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly ttlMs: number = DEFAULT_EVENT_REPEAT_MS) {}

  /** True when the same Event passed within the TTL (drop this one); otherwise records it as passed now. */
  repeated(key: string, now: number): boolean {
    this.prune(now);
    const last = this.at.get(key);
    if (last !== undefined && now - last < this.ttlMs) return true;
    this.at.set(key, now);
    return false;
  }

  /** It was not recorded after all (its write failed or it was dropped): the next one may pass. */
  forget(key: string): void {
    this.at.delete(key);
  }

  get size(): number {
    return this.at.size;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < this.ttlMs) return;
    this.prunedAt = now;
    for (const [k, t] of this.at) if (now - t >= this.ttlMs) this.at.delete(k);
  }
}
