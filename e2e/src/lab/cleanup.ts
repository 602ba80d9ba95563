// Removing lab runs from outside the process that made them: `lab down` (one named run, through its
// owner) and `lab down --all` (every run whose owner is gone — SIGKILLed, crashed — and whatever
// belongs to no live run; live runs only with --force).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sweepStaleClusters } from '../k8s/stale.js';
import { destroyNetnsSync, listNetns } from './exec.js';
import { isLeftoverProcess, planDownAll } from './cleanup-plan.js';
import { allBaseDirs, cmdlineOf, keptLogsBase, listStates, pidAlive, type LabState } from './state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asks the owning process to tear its lab down (SIGTERM) and waits; falls back to removing it here. */
export async function downRun(s: LabState, say: (m: string) => void, graceMs = 30_000): Promise<void> {
  if (s.ownerPid !== process.pid && pidAlive(s.ownerPid) && cmdlineOf(s.ownerPid).includes('node')) {
    say(`${s.prefix}: asking lab process ${s.ownerPid} to tear down (SIGTERM)`);
    process.kill(s.ownerPid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pidAlive(s.ownerPid) && Date.now() < deadline) await sleep(200);
    if (pidAlive(s.ownerPid)) {
      say(`${s.prefix}: process ${s.ownerPid} still alive after ${graceMs} ms; killing it`);
      process.kill(s.ownerPid, 'SIGKILL');
    }
  }
  forceRemoveRun(s.prefix, s.dir, say);
}

/** Kills processes that name the run's directory, deletes its namespaces and the directory. */
export function forceRemoveRun(prefix: string, dir: string | undefined, say: (m: string) => void): void {
  if (dir) killByCmdline((cmd) => cmd.includes(dir), say);
  const ns = listNetns().filter((n) => n.startsWith(`${prefix}-`));
  if (ns.length) {
    say(`${prefix}: deleting ${ns.length} namespaces`);
    const failed = destroyNetnsSync(ns);
    for (const f of failed) say(`  could not delete ${f}`);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** SIGKILLs every other process whose command line `matches`. */
function killByCmdline(matches: (cmd: string) => boolean, say: (m: string) => void): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = cmdlineOf(pid);
    if (cmd && matches(cmd)) {
      say(`  killing ${pid}: ${cmd.slice(0, 120)}`);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** The owner is another live node process (a reused pid does not count; nor does this process, as in downRun). */
function ownerAlive(s: LabState): boolean {
  return s.ownerPid !== process.pid && pidAlive(s.ownerPid) && cmdlineOf(s.ownerPid).includes('node');
}

function listDir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/**
 * Every run whose owner is gone, and every lab namespace, process and directory that belongs to no
 * live run. Live runs (another suite, bench or `lab up` in progress) are left alone unless `force`,
 * which asks their owners to stop first. The decision is planDownAll's (cleanup-plan.ts).
 */
export async function downAll(say: (m: string) => void, opts: { keepLogs?: boolean; force?: boolean } = {}): Promise<void> {
  const states = listStates();
  const bases = allBaseDirs();
  const plan = planDownAll({
    runs: states.map((s) => ({ prefix: s.prefix, dir: s.dir, ownerAlive: ownerAlive(s) })),
    netns: listNetns(),
    dirs: bases.flatMap((b) => listDir(b).map((e) => join(b, e))),
    keptLogs: listDir(keptLogsBase()),
    force: opts.force ?? false,
  });
  const byPrefix = new Map(states.map((s) => [s.prefix, s]));
  for (const p of plan.spared) say(`${p}: owner pid ${byPrefix.get(p)!.ownerPid} is alive; left alone (--force removes it)`);
  for (const p of plan.stop) await downRun(byPrefix.get(p)!, say, 15_000);
  for (const p of plan.remove) {
    say(`${p}: owner pid ${byPrefix.get(p)!.ownerPid} is gone; removing its leftovers`);
    forceRemoveRun(p, byPrefix.get(p)!.dir, say);
  }
  killByCmdline((cmd) => isLeftoverProcess(cmd, bases, plan.sparedDirs), say);
  for (const d of plan.dirs) rmSync(d, { recursive: true, force: true });
  // Namespaces of the runs removed above are gone already; what is left belongs to no run.
  const leftovers = plan.netns.filter((n) => listNetns().includes(n));
  if (leftovers.length) {
    say(`deleting ${leftovers.length} leftover lab namespaces: ${leftovers.join(' ')}`);
    for (const f of destroyNetnsSync(leftovers)) say(`  could not delete ${f}`);
  }
  const swept = sweepStaleClusters();
  if (swept.length) say(`removed ${swept.length} stale apiserver/etcd directories`);
  if (!opts.keepLogs) for (const e of plan.keptLogs) rmSync(join(keptLogsBase(), e), { recursive: true, force: true });
  say(plan.spared.length ? `no lab left but the ${plan.spared.length} live one(s): ${plan.spared.join(' ')}` : 'no lab left');
}
