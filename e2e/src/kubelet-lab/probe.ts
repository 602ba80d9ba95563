// What the external server saw of the deploy suite's probe pod (one TCP connection every 200 ms)
// during a disruption: how many connections arrived, which ones left with any source other than
// the egress IP (a leak: a node IP), and the longest silence — the gap a rollout or a drain caused.
import type { EchoEntry } from '../lab/echo-log.js';

export interface ProbeWindow {
  connections: number;
  /** Arrivals with a source other than the egress IP, in order. */
  leaks: EchoEntry[];
  /** Longest interval without an arrival from the egress IP, window edges included. */
  maxGapMs: number;
  /** When the longest silence began (ms since the epoch). */
  gapStart: number;
}

export function analyzeProbeWindow(entries: EchoEntry[], o: { egressIP: string; from: number; to: number }): ProbeWindow {
  const inWindow = entries.filter((e) => e.t >= o.from && e.t <= o.to).sort((a, b) => a.t - b.t);
  const times = [o.from, ...inWindow.filter((e) => e.src === o.egressIP).map((e) => e.t), o.to];
  let maxGapMs = 0;
  let gapStart = o.from;
  for (let i = 1; i < times.length; i++) {
    const d = (times[i] ?? 0) - (times[i - 1] ?? 0);
    if (d > maxGapMs) { maxGapMs = d; gapStart = times[i - 1] ?? o.from; }
  }
  return { connections: inWindow.length, leaks: inWindow.filter((e) => e.src !== o.egressIP), maxGapMs, gapStart };
}
