// Reading the external server's record (echo-server.ts): what it saw, and a short summary to print
// when a scenario fails.
import { readFileSync } from 'node:fs';

export interface EchoEntry { t: number; proto: string; src: string; sport: number; dst: string }

export function readEchoLog(path: string, sinceMs = 0): EchoEntry[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return []; }
  const out: EchoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as EchoEntry;
      if (e.t >= sinceMs) out.push(e);
    } catch { /* a line being written */ }
  }
  return out;
}

/** Per (proto, source): count, first and last time seen. */
export function summarizeEchoLog(entries: EchoEntry[]): string {
  if (entries.length === 0) return '  (the external server saw nothing)';
  const groups = new Map<string, { n: number; first: number; last: number }>();
  for (const e of entries) {
    const k = `${e.proto.padEnd(6)} from ${e.src.padEnd(15)} to ${e.dst}`;
    const g = groups.get(k) ?? { n: 0, first: e.t, last: e.t };
    g.n++;
    g.last = e.t;
    groups.set(k, g);
  }
  const ts = (t: number): string => new Date(t).toISOString().slice(11, 23);
  return [...groups].map(([k, g]) => `  ${k}  ×${g.n}  ${ts(g.first)} … ${ts(g.last)}`).join('\n');
}

/** Sources seen, in order of first appearance. */
export function sourcesSeen(entries: EchoEntry[], proto?: string): string[] {
  const out: string[] = [];
  for (const e of entries) if ((!proto || e.proto === proto) && !out.includes(e.src)) out.push(e.src);
  return out;
}
