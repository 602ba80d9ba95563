// Pure: reading the daemons' pino JSON logs (one object per line; `time` is epoch ms or an ISO string)
// and turning them into the phases of a failover or a convergence trial. The lab appends every
// restart of a daemon to the same file after a "=== <date> starting …" header; such lines are skipped.
export interface LogEntry {
  /** Epoch ms. */
  t: number;
  msg: string;
  [k: string]: unknown;
}

export function parseDaemonLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line being written
    }
    const t = typeof o['time'] === 'number' ? o['time'] : typeof o['time'] === 'string' ? Date.parse(o['time']) : Number.NaN;
    if (!Number.isFinite(t)) continue;
    out.push({ ...o, t, msg: typeof o['msg'] === 'string' ? o['msg'] : '' });
  }
  return out;
}

/** Several logs (e.g. both managers) merged in time order. */
export function mergeLogs(...logs: LogEntry[][]): LogEntry[] {
  return logs.flat().sort((a, b) => a.t - b.t);
}

export function firstAfter(log: readonly LogEntry[], t: number, pred: (e: LogEntry) => boolean): LogEntry | undefined {
  return log.find((e) => e.t >= t && pred(e));
}

/** What a `synced` line changed, both families' (the IPv6 state's counts sit under `ipv6`, issue 11). */
const changed = (e: LogEntry): Record<string, number> => {
  const c = { ...(e['changed'] as Record<string, number> | undefined) };
  for (const [k, n] of Object.entries((e['ipv6'] as { changed?: Record<string, number> } | undefined)?.changed ?? {})) c[k] = (c[k] ?? 0) + n;
  return c;
};

/** An agent's `synced` line that changed something of the given kinds (any kind when empty). */
export function isSync(e: LogEntry, kinds: string[] = []): boolean {
  if (e.msg !== 'synced') return false;
  const c = changed(e);
  return kinds.length === 0 ? Object.values(c).some((n) => n > 0) : kinds.some((k) => (c[k] ?? 0) > 0);
}

export interface FailoverMarks {
  /** The leading manager declared the old gateway's agent unhealthy. */
  unhealthy?: number;
  /**
   * The manager's Event for the move, logged after the status write returned — or, where the
   * manager logs that Event once per 10 min (issue 16 §4), the new gateway's agent receiving that
   * status (its pass start less `waitedMs`).
   */
  statusWritten?: number;
  /**
   * The new gateway's agent sent its GARP: from the order (`claimed from the order`'s `garpAt`), or
   * in a pass (its start + `computeMs` + `announcedMs`), or, from an agent that does not log those,
   * when the sync that added the address finished (GARP is fired inside it).
   */
  programmed?: number;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/** The agent's sync line's own milestones: the change seen, the GARP sent (epoch ms). */
function syncMilestones(e: LogEntry): { seen?: number; announced?: number } {
  const ms = num(e['ms']);
  if (ms === undefined) return {};
  const start = e.t - ms;
  const waited = num(e['waitedMs']), compute = num(e['computeMs']), announced = num(e['announcedMs']);
  return {
    ...(waited === undefined ? {} : { seen: start - waited }),
    ...(announced === undefined ? {} : { announced: start + (compute ?? 0) + announced }),
  };
}

export interface PhaseSplit {
  detection: number;
  assignment: number;
  programming: number;
  rest: number;
}

/**
 * Finds the failover's milestones in the logs. `fault` = when the link was cut (epoch ms);
 * `oldNode`/`newNode` = node names; `manager` = both managers' logs merged; `newAgent` = the new
 * gateway's agent log.
 */
export function failoverMarks(p: { fault: number; oldNode: string; newNode: string; manager: readonly LogEntry[]; newAgent: readonly LogEntry[] }): FailoverMarks {
  const marks: FailoverMarks = {};
  const unhealthy = firstAfter(p.manager, p.fault, (e) => e.msg === 'gateway agent unhealthy' && e['node'] === p.oldNode);
  if (!unhealthy) return marks;
  marks.unhealthy = unhealthy.t;
  const moved = firstAfter(p.manager, unhealthy.t, (e) => typeof e['reason'] === 'string' && e['reason'] === 'EgressIPMoved' &&
    e.msg.includes(p.oldNode) && e.msg.includes(p.newNode));
  const synced = firstAfter(p.newAgent, unhealthy.t, (e) => isSync(e, ['addresses']));
  const own = synced ? syncMilestones(synced) : {};
  const written = moved?.t ?? own.seen;
  if (written !== undefined) marks.statusWritten = written;
  if (synced) marks.programmed = own.announced ?? synced.t;
  // a standby that claimed straight from the order (issue 16 §1) logs its GARP's time itself
  const ordered = firstAfter(p.newAgent, unhealthy.t, (e) => e.msg === 'claimed from the order: leased, added, announced');
  const garpAt = ordered ? num(ordered['garpAt']) : undefined;
  if (garpAt !== undefined && (marks.programmed === undefined || garpAt < marks.programmed)) marks.programmed = garpAt;
  return marks;
}

/**
 * Splits fault → first good reply into consecutive, non-negative phases. A milestone that was logged
 * out of order (the agent may finish its sync before the manager's status-write call returns) is
 * clamped to the previous one, so the phases always add up to `firstGood - fault`.
 */
export function splitPhases(fault: number, marks: FailoverMarks, firstGood: number): PhaseSplit | undefined {
  if (marks.unhealthy === undefined || marks.statusWritten === undefined || marks.programmed === undefined) return undefined;
  const end = Math.max(firstGood, fault);
  const d = clamp(marks.unhealthy, fault, end);
  const s = clamp(marks.statusWritten, d, end);
  const g = clamp(marks.programmed, s, end);
  return { detection: d - fault, assignment: s - d, programming: g - s, rest: end - g };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
