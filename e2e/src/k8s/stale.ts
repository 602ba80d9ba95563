// Leftovers of runs that died without cleanup (SIGKILL, OOM): each cluster directory records the
// harness pid and its daemons' pids; a directory whose harness is gone has its daemons killed —
// only when their command line names that directory, so a reused pid is never touched — and is removed.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DIR_PREFIX = 'se-k8s-';
const OWNER_FILE = 'owner.json';

interface Owner { ownerPid: number; pids: number[] }

export function recordOwner(dir: string, pids: number[]): void {
  const owner: Owner = { ownerPid: process.pid, pids };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

function cmdline(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; }
}

/** Kills and removes clusters whose owning process has died. Returns the directories removed. */
export function sweepStaleClusters(): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const ownerPath = join(dir, OWNER_FILE);
    if (!existsSync(ownerPath)) continue; // logs kept after a failure, or a cluster still starting
    let owner: Owner;
    try { owner = JSON.parse(readFileSync(ownerPath, 'utf8')) as Owner; } catch { continue; }
    if (alive(owner.ownerPid)) continue;
    for (const pid of owner.pids) {
      if (alive(pid) && cmdline(pid).includes(dir)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
