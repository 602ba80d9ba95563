// Removing lab runs from outside the process that made them: `lab down` (one run) and
// `lab down --all` (leftovers of every run, including ones whose owner was SIGKILLed).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sweepStaleClusters } from '../k8s/stale.js';
import { destroyNetnsSync, listNetns } from './exec.js';
import { LAB_NETNS_RE } from './names.js';
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
  if (dir) killByCmdline(dir, say);
  const ns = listNetns().filter((n) => n.startsWith(`${prefix}-`));
  if (ns.length) {
    say(`${prefix}: deleting ${ns.length} namespaces`);
    const failed = destroyNetnsSync(ns);
    for (const f of failed) say(`  could not delete ${f}`);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function killByCmdline(needle: string, say: (m: string) => void): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = cmdlineOf(pid);
    if (cmd.includes(needle)) {
      say(`  killing ${pid}: ${cmd.slice(0, 120)}`);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** Every run: owners asked to stop, then any lab namespace, process and directory left is removed. */
export async function downAll(say: (m: string) => void, opts: { keepLogs?: boolean } = {}): Promise<void> {
  for (const s of listStates()) await downRun(s, say, 15_000);
  for (const base of allBaseDirs()) {
    killByCmdline(base, say);
    for (const entry of readdirSync(base)) rmSync(join(base, entry), { recursive: true, force: true });
  }
  const leftovers = listNetns().filter((n) => LAB_NETNS_RE.test(n));
  if (leftovers.length) {
    say(`deleting ${leftovers.length} leftover lab namespaces: ${leftovers.join(' ')}`);
    for (const f of destroyNetnsSync(leftovers)) say(`  could not delete ${f}`);
  }
  const swept = sweepStaleClusters();
  if (swept.length) say(`removed ${swept.length} stale apiserver/etcd directories`);
  if (!opts.keepLogs) rmSync(keptLogsBase(), { recursive: true, force: true });
  say('no lab left');
}
