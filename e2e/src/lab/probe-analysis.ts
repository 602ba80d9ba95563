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
   * Longest time without a correct reply: between the send times of consecutive correctly answered
   * probes (so it measures the outage, not the reply latency); from the first send when the first
   * probes failed, to the last send when the last ones failed.
   */
  maxGapMs: number;
  /** When the longest gap started (wall-clock ms). */
  maxGapStart: number | undefined;
  /** Sources seen, in order of first appearance, with counts. */
  sources: Record<string, number>;
  errors: number;
  firstError: string | undefined;
  durationMs: number;
}

export function analyzeProbe(rec: ProbeRecord, expected: string | string[]): ProbeReport {
  const ok = new Set(Array.isArray(expected) ? expected : [expected]);
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
  const sends = [...rec.sends].sort((a, b) => a[0] - b[0]);
  const first = sends[0]?.[1];
  const last = sends[sends.length - 1]?.[1];
  let prevOk = first;
  let maxGapMs = 0;
  let maxGapStart: number | undefined;
  let lost = 0;
  let answered = 0;
  for (const [seq, t] of sends) {
    const srcs = bySeq.get(seq);
    if (!srcs) lost++;
    else answered++;
    if (srcs?.some((s) => ok.has(s))) {
      if (prevOk !== undefined && t - prevOk > maxGapMs) {
        maxGapMs = t - prevOk;
        maxGapStart = prevOk;
      }
      prevOk = t;
    }
  }
  if (prevOk !== undefined && last !== undefined && last - prevOk > maxGapMs) {
    maxGapMs = last - prevOk;
    maxGapStart = prevOk;
  }
  return {
    sent: sends.length,
    answered,
    lost,
    wrongSources,
    wrongReplies,
    maxGapMs: Math.round(maxGapMs * 10) / 10,
    maxGapStart,
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
    `longest gap ${r.maxGapMs.toFixed(1)} ms${wrong}; sources seen: ${src}${err}`;
}
