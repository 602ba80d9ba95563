// A process's CPU time and memory from /proc (issue 16 §4, the perf-scale churn): the pure parsers
// of /proc/PID/stat and of VmRSS, and a sampler that keeps each watched process's largest and last
// RSS and its CPU seconds between two marks. CPU is utime + stime of the process itself; the
// children it waited for (iptables-restore, nft, ip …) are counted apart (cutime + cstime).
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`: 100 on Linux x86-64 and arm64). */
export const CLK_TCK = 100;

export interface CpuTicks { self: number; children: number }

/** utime + stime and cutime + cstime from one /proc/PID/stat line (the command may hold spaces and parentheses). */
export function parseProcStat(line: string): CpuTicks {
  const end = line.lastIndexOf(')');
  if (end < 0) throw new Error(`not a /proc/PID/stat line: ${line.slice(0, 80)}`);
  // fields after "(comm)": 3 state, 4 ppid … 14 utime, 15 stime, 16 cutime, 17 cstime (man 5 proc)
  const f = line.slice(end + 2).trim().split(/\s+/);
  const n = (field: number): number => {
    const v = Number(f[field - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/PID/stat field ${field} missing: ${line.slice(0, 80)}`);
    return v;
  };
  return { self: n(14) + n(15), children: n(16) + n(17) };
}

/** VmRSS of one /proc/PID/status text, in MiB (0 when absent: a zombie). */
export function parseVmRSS(status: string): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

export interface ProcFigures { rssMaxMB: number; rssEndMB: number; cpuSeconds: number; childCpuSeconds: number }

/** Samples named processes (by pid) on demand: RSS max and last since `mark()`, CPU since `mark()`. */
export class ProcSampler {
  private readonly start = new Map<string, CpuTicks>();
  private readonly last = new Map<string, CpuTicks>();
  private readonly rssMax = new Map<string, number>();
  private readonly rssEnd = new Map<string, number>();

  constructor(private readonly pids: Map<string, number>) {}

  /** Starts a window: CPU counts from here, RSS max restarts. */
  mark(): void {
    this.rssMax.clear();
    this.sample();
    for (const [k, v] of this.last) this.start.set(k, v);
  }

  sample(): void {
    for (const [name, pid] of this.pids) {
      try {
        this.last.set(name, parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')));
        const rss = parseVmRSS(readFileSync(`/proc/${pid}/status`, 'utf8'));
        this.rssEnd.set(name, rss);
        this.rssMax.set(name, Math.max(this.rssMax.get(name) ?? 0, rss));
      } catch { /* exited: its last sample stands */ }
    }
  }

  /** Each process's figures over the window since `mark()`. */
  figures(): Map<string, ProcFigures> {
    const out = new Map<string, ProcFigures>();
    for (const name of this.pids.keys()) {
      const a = this.start.get(name), b = this.last.get(name);
      out.set(name, {
        rssMaxMB: this.rssMax.get(name) ?? 0, rssEndMB: this.rssEnd.get(name) ?? 0,
        cpuSeconds: a && b ? (b.self - a.self) / CLK_TCK : Number.NaN,
        childCpuSeconds: a && b ? (b.children - a.children) / CLK_TCK : Number.NaN,
      });
    }
    return out;
  }
}
