// Pure analysis of a probe record (probe.ts): the failover gap and whether any reply ever came back
// with a source the external server should never have seen.
export interface ProbeRecord {
  mode: string;
  target: string;
  interval: number;
  sends: [number, number][];
  replies: [number, number, string][];
  errors: [number, string][];
}

export interface ProbeReport {
  sent: number;
  answered: number;
  /** Sends with no reply at all. */
  lost: number;
  /** Replies whose echoed source is not one of the expected sources, by source. */
  wrongSources: Record<string, number>;
  wrongReplies: number;
  /**
   * Longest time without a correct reply: between the arrivals of consecutive correct replies (and from
   * the first send to the first correct reply, from the last correct reply to the last send). Packets
   * held in a queue (e.g. the neighbour queue while a link is down) and answered late count as a gap.
   */
  maxGapMs: number;
  /** When the longest gap started (wall-clock ms). */
  maxGapStart: number | undefined;
  /** The same, between the send times of consecutive correctly answered probes (ignores late answers). */
  maxSendGapMs: number;
  /** Slowest correct reply (send → reply). */
  maxLatencyMs: number;
  /** Sources seen, in order of first appearance, with counts. */
  sources: Record<string, number>;
  errors: number;
  firstError: string | undefined;
  durationMs: number;
}

/** Replies by sequence number, and the sources seen (all, and the unexpected ones). */
function tallyReplies(rec: ProbeRecord, ok: Set<string>) {
  const bySeq = new Map<number, string[]>();
  const sources: Record<string, number> = {};
  const wrongSources: Record<string, number> = {};
  let wrongReplies = 0;
  for (const [seq, , src] of rec.replies) {
    const l = bySeq.get(seq) ?? [];
    l.push(src);
    bySeq.set(seq, l);
    sources[src] = (sources[src] ?? 0) + 1;
    if (!ok.has(src)) {
      wrongReplies++;
      wrongSources[src] = (wrongSources[src] ?? 0) + 1;
    }
  }
  return { bySeq, sources, wrongSources, wrongReplies };
}

/** Lost and answered sends, and the longest gap between the sends of correctly answered probes. */
function sendGaps(sends: [number, number][], bySeq: Map<number, string[]>, ok: Set<string>) {
  const first = sends[0]?.[1];
  const last = sends[sends.length - 1]?.[1];
  let lost = 0;
  let answered = 0;
  let maxSendGapMs = 0;
  let prevOkSend = first;
  for (const [seq, t] of sends) {
    const srcs = bySeq.get(seq);
    if (!srcs) lost++;
    else answered++;
    if (srcs?.some((s) => ok.has(s))) {
      if (prevOkSend !== undefined) maxSendGapMs = Math.max(maxSendGapMs, t - prevOkSend);
      prevOkSend = t;
    }
  }
  if (prevOkSend !== undefined && last !== undefined) maxSendGapMs = Math.max(maxSendGapMs, last - prevOkSend);
  return { lost, answered, maxSendGapMs };
}

/** The longest time without a correct reply (see `ProbeReport.maxGapMs`), and the slowest one. */
function replyGaps(rec: ProbeRecord, sends: [number, number][], ok: Set<string>) {
  const sendTime = new Map(sends);
  const first = sends[0]?.[1];
  const last = sends[sends.length - 1]?.[1];
  const okReplies = rec.replies.filter(([, , src]) => ok.has(src)).sort((a, b) => a[1] - b[1]);
  let maxGapMs = 0;
  let maxGapStart: number | undefined;
  let maxLatencyMs = 0;
  let prev = first;
  for (const [seq, t] of okReplies) {
    if (prev !== undefined && t - prev > maxGapMs) {
      maxGapMs = t - prev;
      maxGapStart = prev;
    }
    prev = Math.max(prev ?? t, t);
    const st = sendTime.get(seq);
    if (st !== undefined) maxLatencyMs = Math.max(maxLatencyMs, t - st);
  }
  if (prev !== undefined && last !== undefined && last - prev > maxGapMs) {
    maxGapMs = last - prev;
    maxGapStart = prev;
  }
  return { maxGapMs, maxGapStart, maxLatencyMs };
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;

export function analyzeProbe(rec: ProbeRecord, expected: string | string[]): ProbeReport {
  const ok = new Set(Array.isArray(expected) ? expected : [expected]);
  const { bySeq, sources, wrongSources, wrongReplies } = tallyReplies(rec, ok);
  const sends = [...rec.sends].sort((a, b) => a[0] - b[0]);
  const first = sends[0]?.[1];
  const last = sends[sends.length - 1]?.[1];
  const { lost, answered, maxSendGapMs } = sendGaps(sends, bySeq, ok);
  const { maxGapMs, maxGapStart, maxLatencyMs } = replyGaps(rec, sends, ok);
  return {
    sent: sends.length,
    answered,
    lost,
    wrongSources,
    wrongReplies,
    maxGapMs: tenths(maxGapMs),
    maxGapStart,
    maxSendGapMs: tenths(maxSendGapMs),
    maxLatencyMs: tenths(maxLatencyMs),
    sources,
    errors: rec.errors.length,
    firstError: rec.errors[0]?.[1],
    durationMs: first !== undefined && last !== undefined ? Math.round(last - first) : 0,
  };
}

export function formatProbeReport(r: ProbeReport): string {
  const src = Object.entries(r.sources).map(([s, c]) => `${s}×${c}`).join(', ') || 'none';
  const wrong = r.wrongReplies ? `, WRONG SOURCE ${JSON.stringify(r.wrongSources)}` : ', no wrong source';
  const err = r.errors ? `, ${r.errors} send errors (first: ${r.firstError})` : '';
  return `sent ${r.sent} over ${(r.durationMs / 1000).toFixed(1)} s, answered ${r.answered}, lost ${r.lost}, ` +
    `longest gap ${r.maxGapMs.toFixed(1)} ms (slowest reply ${r.maxLatencyMs.toFixed(1)} ms)${wrong}; sources seen: ${src}${err}`;
}

/**
 * The longest time in [from, to) without a reply from one of `expected` (the window's edges count:
 * a window with no reply at all is one gap of its whole length).
 */
export function maxGapIn(rec: ProbeRecord, expected: string | string[], from: number, to: number): number {
  const ok = new Set(Array.isArray(expected) ? expected : [expected]);
  const times = rec.replies.filter(([, t, src]) => ok.has(src) && t >= from && t < to).map(([, t]) => t).sort((a, b) => a - b);
  let gap = 0;
  let prev = from;
  for (const t of [...times, to]) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.round(gap);
}
