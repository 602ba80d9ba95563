// Pure: reading probe records (the e2e probe's format, also written by bench/lib/udp-probe.ts) and
// the output of ping and iperf3.
import type { Timeline } from './svg.js';

import type { ProbeRecord } from '../../e2e/src/lab/probe-analysis.js';

export type { ProbeRecord };

/** The part of a record whose sends fall in [from, to] (replies to those sends only). */
export function sliceRecord(rec: ProbeRecord, from: number, to: number): ProbeRecord {
  const sends = rec.sends.filter(([, t]) => t >= from && t <= to);
  const seqs = new Set(sends.map(([s]) => s));
  return { ...rec, sends, replies: rec.replies.filter(([s]) => seqs.has(s)), errors: rec.errors.filter(([t]) => t >= from && t <= to) };
}

export interface GoodReply { seq: number; send: number; reply: number }

function goodReplies(rec: ProbeRecord, src: string): GoodReply[] {
  const sendT = new Map(rec.sends);
  return rec.replies.filter(([, , s]) => s === src).flatMap(([seq, reply]) => {
    const send = sendT.get(seq);
    return send === undefined ? [] : [{ seq, send, reply }];
  });
}

/** The earliest-sent probe after `t` that came back with source `src`. */
export function firstGoodSentAfter(rec: ProbeRecord, src: string, t: number): GoodReply | undefined {
  return goodReplies(rec, src).filter((g) => g.send >= t).sort((a, b) => a.send - b.send)[0];
}

/** The first reply with source `src` that arrived after `t`. */
export function firstGoodArrivedAfter(rec: ProbeRecord, src: string, t: number): GoodReply | undefined {
  return goodReplies(rec, src).filter((g) => g.reply >= t).sort((a, b) => a.reply - b.reply)[0];
}

/** The last reply with source `src` that arrived before `t`. */
export function lastGoodArrivedBefore(rec: ProbeRecord, src: string, t: number): GoodReply | undefined {
  return goodReplies(rec, src).filter((g) => g.reply < t).sort((a, b) => b.reply - a.reply)[0];
}

/**
 * The outage around a fault: the longest time without a good reply (source `src`) in the record —
 * from one good reply's arrival to the next. Pass a record sliced to the trial's window (from a little
 * before the fault to well after recovery). Undefined when fewer than two good replies arrived.
 */
export function outage(rec: ProbeRecord, src: string): { start: number; end: number; gap: number } | undefined {
  const arrivals = rec.replies.filter(([, , s]) => s === src).map(([, t]) => t).sort((a, b) => a - b);
  let best: { start: number; end: number; gap: number } | undefined;
  for (let i = 1; i < arrivals.length; i++) {
    const gap = arrivals[i]! - arrivals[i - 1]!;
    if (!best || gap > best.gap) best = { start: arrivals[i - 1]!, end: arrivals[i]!, gap };
  }
  return best;
}

/** Median spacing of consecutive sends: the probe's real resolution (timer slack included). */
export function sendInterval(rec: ProbeRecord): number {
  const ts = rec.sends.map(([, t]) => t).sort((a, b) => a - b);
  const d = ts.slice(1).map((t, i) => t - ts[i]!).sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)]! : Number.NaN;
}

/** The timeline the SVG draws, times relative to the fault. */
export function toTimeline(rec: ProbeRecord, src: string, fault: number, title: string,
  phases: { name: string; start: number; end: number }[], o = outage(rec, src)): Timeline | undefined {
  if (!o) return undefined;
  const good = new Set(rec.replies.filter(([, , s]) => s === src).map(([seq]) => seq));
  return {
    title,
    sends: rec.sends.map(([seq, t]) => ({ t: round(t - fault), ok: good.has(seq) })),
    gap: { start: round(o.start - fault), end: round(o.end - fault) },
    phases: phases.map((p) => ({ name: p.name, start: round(p.start - fault), end: round(p.end - fault) })),
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** Per-packet round-trip times (ms) from ping's output lines ("… time=0.123 ms"). */
export function parsePingRtts(out: string): number[] {
  const rtts: number[] = [];
  for (const m of out.matchAll(/\btime[=<]([\d.]+) ms/g)) rtts.push(Number(m[1]));
  return rtts;
}

/** Receiver-side throughput (bit/s) from `iperf3 -J`. */
export function parseIperfBps(json: string): number {
  const j = JSON.parse(json) as { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  const bps = j.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error('iperf3 -J output has no end.sum_received.bits_per_second');
  return bps;
}
