// Running commands inside lab namespaces. Every helper takes a lab netns name; there is no helper that
// runs a network command in the root namespace.
import { execa, execaSync } from 'execa';
import { LAB_NETNS_RE } from './names.js';
import type { Script } from './topology.js';

function assertLabNetns(ns: string): void {
  if (!LAB_NETNS_RE.test(ns)) throw new Error(`refusing to act outside a lab namespace: ${JSON.stringify(ns)}`);
}

/** `ip netns exec <ns> <cmd> <args>`; rejects with the command's stderr on failure. */
export async function inNetns(ns: string, cmd: string, args: string[], input?: string): Promise<string> {
  assertLabNetns(ns);
  const r = await execa('ip', ['netns', 'exec', ns, cmd, ...args], { input, reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`[${ns}] ${cmd} ${args.join(' ')} failed (${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Like inNetns but returns the exit code instead of throwing. */
export async function tryInNetns(ns: string, cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  assertLabNetns(ns);
  const r = await execa('ip', ['netns', 'exec', ns, cmd, ...args], { reject: false });
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim() };
}

/** `ip -n <ns> -batch -` (or `bridge`): stops at the first failing line. */
export async function ipBatch(ns: string, lines: string[], tool: 'ip' | 'bridge' = 'ip'): Promise<void> {
  assertLabNetns(ns);
  const r = await execa(tool, ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n', reject: false });
  if (r.exitCode !== 0) throw new Error(`[${ns}] ${tool} -batch failed: ${r.stderr.trim()}\n  ${lines.join('\n  ')}`);
}

export async function applyScript(s: Script): Promise<void> {
  switch (s.tool) {
    case 'ip':
    case 'bridge':
      return ipBatch(s.ns, s.lines, s.tool);
    case 'sysctl':
      await inNetns(s.ns, 'sysctl', ['-q', '-w', ...Object.entries(s.settings).map(([k, v]) => `${k}=${v}`)]);
      return;
    case 'iptables-restore':
    case 'ip6tables-restore':
      await inNetns(s.ns, s.tool, ['--noflush'], s.text);
      return;
    case 'nft':
      await inNetns(s.ns, 'nft', ['-f', '-'], s.text);
      return;
  }
}

/** Applies scripts in order (each may depend on links an earlier one created). */
export async function applyScripts(scripts: Script[]): Promise<void> {
  for (const s of scripts) await applyScript(s);
}

export async function addNetns(names: string[]): Promise<void> {
  names.forEach(assertLabNetns);
  const r = await execa('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}`).join('\n') + '\n', reject: false });
  if (r.exitCode !== 0) throw new Error(`ip netns add failed: ${r.stderr.trim()}`);
}

export function listNetns(): string[] {
  const r = execaSync('ip', ['netns', 'list'], { reject: false });
  return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.length > 0);
}

/** Pids of processes whose network namespace is `ns`. */
export function netnsPids(ns: string): number[] {
  assertLabNetns(ns);
  const r = execaSync('ip', ['netns', 'pids', ns], { reject: false });
  return r.stdout.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0);
}

/**
 * Kills every process inside the namespaces, then deletes them (their links, routes, rules and
 * firewall state go with them). Synchronous so it can run from an exit handler.
 */
export function destroyNetnsSync(names: string[]): string[] {
  const labNs = names.filter((n) => LAB_NETNS_RE.test(n));
  for (const ns of labNs) {
    for (const pid of netnsPids(ns)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  const failed: string[] = [];
  for (const ns of labNs) {
    const r = execaSync('ip', ['netns', 'del', ns], { reject: false });
    if (r.exitCode !== 0 && listNetns().includes(ns)) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  return failed;
}
