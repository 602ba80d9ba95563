/** A failover trial as the benchmark draws it: probe sends on a time axis, the gap, the phases. */
export interface Timeline {
  title: string;
  /** ms relative to the fault. `ok`: the reply came back with the egress IP. */
  sends: readonly { t: number; ok: boolean }[];
  gap: { start: number; end: number };
  phases: readonly { name: string; start: number; end: number }[];
}

const PHASE_COLORS = ['#fde68a', '#bfdbfe', '#bbf7d0', '#fbcfe8'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Pure: renders the timeline as a standalone SVG document. */
export function renderTimelineSvg(tl: Timeline, width = 900, height = 220): string {
  const ts = [...tl.sends.map((s) => s.t), tl.gap.start, tl.gap.end, ...tl.phases.flatMap((p) => [p.start, p.end])];
  const t0 = Math.min(...ts), t1 = Math.max(...ts);
  const span = Math.max(1, t1 - t0);
  const left = 60, right = width - 20, axisY = height - 40;
  const x = (t: number) => left + ((t - t0) / span) * (right - left);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(tl.title)}</text>`);
  tl.phases.forEach((p, i) => {
    const color = PHASE_COLORS[i % PHASE_COLORS.length];
    out.push(`<rect x="${x(p.start).toFixed(1)}" y="30" width="${Math.max(1, x(p.end) - x(p.start)).toFixed(1)}" height="${axisY - 60}" fill="${color}" opacity="0.8"/>`);
    out.push(`<text x="${x(p.start).toFixed(1)}" y="${44 + 13 * i}">${esc(p.name)} ${(p.end - p.start).toFixed(0)} ms</text>`);
  });
  out.push(`<rect x="${x(tl.gap.start).toFixed(1)}" y="${axisY - 28}" width="${Math.max(1, x(tl.gap.end) - x(tl.gap.start)).toFixed(1)}" height="8" fill="#dc2626"/>`);
  out.push(`<text x="${x(tl.gap.end).toFixed(1)}" y="${axisY - 32}" fill="#dc2626">gap ${(tl.gap.end - tl.gap.start).toFixed(0)} ms</text>`);
  for (const s of tl.sends) {
    out.push(`<line x1="${x(s.t).toFixed(1)}" x2="${x(s.t).toFixed(1)}" y1="${axisY - 14}" y2="${axisY - 2}" stroke="${s.ok ? '#16a34a' : '#9ca3af'}" stroke-width="1"/>`);
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${axisY}" y2="${axisY}" stroke="black"/>`);
  const step = niceStep(span);
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${axisY}" y2="${axisY + 5}" stroke="black"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 18}" text-anchor="middle">${t} ms</text>`);
  }
  out.push(`<text x="${left}" y="${height - 6}">green: reply with the egress IP; grey: no reply; time 0 = fault injected</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(span: number): number {
  const raw = span / 8;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}
