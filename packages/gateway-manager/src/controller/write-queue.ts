// The leader's pending API writes, by object, in three lines (issue 16 §4). A pass only queues what
// it wants written and returns; the drain (write-drain.ts) writes at most a few at a time, each
// line after the ones before it: a status that moves an egress IP before a status that only
// rewords a condition, both before an Event. One object has one place in the queue: a newer desired
// value replaces the one waiting (it keeps its place in line and the higher priority of the two),
// so a pass never waits for, nor repeats, an older pass's writes that are no longer current. A
// key being written is not handed out again until that write is done (writes to one object stay
// in order). No I/O here.

/** Lower is written first. */
export const WritePriority = {
  /** A status whose assignments changed: agents program the data path from it. */
  DataPath: 0,
  /** A status whose assignments did not change (conditions, observedGeneration), a pool's status. */
  Status: 1,
  /** An Event: a courtesy to the reader; the status carries the same. */
  Event: 2,
} as const;
export type WritePriority = (typeof WritePriority)[keyof typeof WritePriority];

const PRIORITIES: readonly WritePriority[] = [WritePriority.DataPath, WritePriority.Status, WritePriority.Event];

export interface QueuedWrite<V> {
  key: string;
  priority: WritePriority;
  value: V;
}

export class WriteQueue<V> {
  /** One line per priority; a Map keeps insertion order, and replacing a value keeps its place. */
  private readonly lines: Map<string, V>[] = PRIORITIES.map(() => new Map<string, V>());
  private readonly priorityOf = new Map<string, WritePriority>();
  private readonly writing = new Set<string>();

  /** `limits[p]`: at most this many keys wait in line p; a new key beyond it is refused (not an update of one waiting). */
  constructor(private readonly limits: Partial<Record<WritePriority, number>> = {}) {}

  /**
   * Queues `value` for `key`. A value already waiting for the key is replaced in its place, and the
   * more urgent of the two priorities is kept. Returns false when the line is full and nothing was queued.
   */
  put(key: string, priority: WritePriority, value: V): boolean {
    const had = this.priorityOf.get(key);
    if (had === undefined) {
      if (this.lines[priority]!.size >= (this.limits[priority] ?? Number.POSITIVE_INFINITY)) return false;
      this.lines[priority]!.set(key, value);
      this.priorityOf.set(key, priority);
    } else if (priority < had) {
      this.lines[had]!.delete(key);
      this.lines[priority]!.set(key, value);
      this.priorityOf.set(key, priority);
    } else {
      this.lines[had]!.set(key, value);
    }
    return true;
  }

  /** Whether a value for `key` waits (not counting one being written). */
  has(key: string): boolean {
    return this.priorityOf.has(key);
  }

  /** The next write: the first of the most urgent line whose key is not being written; marks it being written. */
  take(): QueuedWrite<V> | undefined {
    for (const priority of PRIORITIES) {
      for (const [key, value] of this.lines[priority]!) {
        if (this.writing.has(key)) continue; // bounded by the writes in flight
        this.lines[priority]!.delete(key);
        this.priorityOf.delete(key);
        this.writing.add(key);
        return { key, priority, value };
      }
    }
    return undefined;
  }

  /** The write of `key` taken last is done (or failed): a newer value waiting for it may go now. */
  done(key: string): void {
    this.writing.delete(key);
  }

  /** Writes waiting (not counting those being written). */
  get length(): number {
    return this.priorityOf.size;
  }

  lengthOf(priority: WritePriority): number {
    return this.lines[priority]!.size;
  }

  get inFlight(): number {
    return this.writing.size;
  }

  /** Forgets every waiting write (a leader that stops leading writes nothing more). */
  clear(): void {
    for (const line of this.lines) line.clear();
    this.priorityOf.clear();
  }
}
