// Where a lab run keeps its state: `${XDG_RUNTIME_DIR:-/run}/static-egress-lab/<prefix>/` (never the
// work tree). state.json names the owning process, the cluster directory and every daemon, so
// `lab status`/`lab down` from another terminal and `lab down --all` after a crash can find them.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DaemonState { name: string; pid?: number; log: string; netns?: string }

export interface LabState {
  prefix: string;
  ownerPid: number;
  dir: string;
  startedAt: string;
  nodes: number;
  managers: number;
  overlay: boolean;
  clusterDir?: string;
  apiServer?: string;
  adminKubeconfig?: string;
  netns: string[];
  daemons: DaemonState[];
  pods?: { namespace: string; name: string; node: string; ip: string; netns: string }[];
  phase: 'starting' | 'up' | 'stopping';
}

export function labBaseDir(): string {
  const candidates = [join(process.env.XDG_RUNTIME_DIR || '/run', 'static-egress-lab'), join(tmpdir(), 'static-egress-lab')];
  for (const c of candidates) {
    try {
      mkdirSync(c, { recursive: true, mode: 0o700 });
      return c;
    } catch { /* not writable: next */ }
  }
  throw new Error(`no writable state directory among ${candidates.join(', ')}`);
}

/** Every base directory a run may have used (for down --all). */
export function allBaseDirs(): string[] {
  return [join(process.env.XDG_RUNTIME_DIR || '/run', 'static-egress-lab'), join('/run', 'static-egress-lab'),
    join(tmpdir(), 'static-egress-lab')].filter((d, i, a) => a.indexOf(d) === i && existsSync(d));
}

/** Where logs of failed runs are kept after teardown. */
export function keptLogsBase(): string {
  return join(tmpdir(), 'static-egress-lab-logs');
}

export function writeState(s: LabState): void {
  const path = join(s.dir, 'state.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(s, null, 2));
  renameSync(`${path}.tmp`, path);
}

export function readState(dir: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function listStates(): LabState[] {
  const out: LabState[] = [];
  for (const base of allBaseDirs()) {
    for (const entry of readdirSync(base)) {
      const s = readState(join(base, entry));
      if (s) out.push(s);
    }
  }
  return out;
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

export function cmdlineOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; }
}
