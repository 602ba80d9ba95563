// Network-namespace helpers for the kernel suites. Every namespace is named `<prefix>-<x>` with a
// run prefix `sek<4 random chars>`; nothing is ever created in the root namespace.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

export function runPrefix(): string {
  return `sek${randomBytes(3).toString('hex').slice(0, 4)}`;
}

/** Runs a shell script inside a namespace (`ip netns exec`), failing on the first error. */
export async function nsExec(ns: string, script: string, opts: { input?: string; reject?: boolean } = {}): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', ns, 'sh', '-ec', script], { input: opts.input, reject: false });
  if (r.exitCode !== 0 && opts.reject !== false) throw new Error(`[${ns}] ${script.slice(0, 200)}: exit ${r.exitCode}: ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

export async function listNamespaces(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return String(r.stdout).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export async function deleteNamespaces(prefix: string): Promise<void> {
  for (const ns of await listNamespaces()) {
    if (ns.startsWith(`${prefix}-`)) await execa('ip', ['netns', 'del', ns], { reject: false });
  }
}

/**
 * A namespace's network state as text, for "identical dump" checks: iptables (counters and
 * comments dropped, tables without rules dropped), ipsets, rules, routes, addresses, our tunnel.
 */
export async function dumpNamespace(ns: string): Promise<string> {
  const out = await nsExec(ns, [
    'echo "## iptables"; iptables-save',
    'echo "## ipset"; ipset save | sed "s/ bucketsize.*//"',
    'echo "## rules"; ip -4 rule',
    'echo "## routes"; ip -4 route show table all',
    'echo "## addrs"; ip -4 -o addr | sed "s/\\\\\\\\.*valid_lft.*//"',
    'echo "## links"; ip -o link | sed "s/^[0-9]*: //; s/ qlen.*//; s/link\\/ether.*//"',
    'echo "## neigh"; ip neigh show nud permanent',
    'echo "## fdb"; bridge fdb show dev segress.vx 2>/dev/null || true',
  ].join('; '));
  return normalizeIptables(out);
}

function normalizeIptables(text: string): string {
  const lines = text.split('\n').filter((l) => !l.startsWith('#') || l.startsWith('##'))
    .map((l) => l.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1').replace(/^\[\d+:\d+\] /, ''));
  // drop iptables tables that hold no rule: an empty table is no state
  const out: string[] = [];
  let table: string[] | null = null;
  for (const l of lines) {
    if (l.startsWith('*')) { table = [l]; continue; }
    if (table) {
      table.push(l);
      if (l === 'COMMIT') {
        if (table.some((x) => x.startsWith('-A '))) out.push(...table);
        table = null;
      }
      continue;
    }
    out.push(l);
  }
  return out.join('\n');
}
