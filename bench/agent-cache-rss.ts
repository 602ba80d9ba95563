// `npm run bench -- --only agent-cache-rss` (issue 16 §4): what an agent's caches cost at 100,000
// pods and 5,000 Nodes shaped like a kubelet's (managedFields, containers, container statuses,
// node images), in a child process per variant: the objects as they arrive (one list's JSON, parsed
// as client-node does), kept in a Map like ListWatch's cache, then the process's RSS after a GC.
// Variants: an empty process (the baseline), the full objects (before), the slim ones listed in pages
// (slimPod, slimNode, listInPages: after), and a director's node-scoped watch (its own node's pods only, slim Nodes). No apiserver
// and no kernel: the lab bench (`--only scale`) measures the real processes at 10,000–25,000 pods.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';

import { NODES, type Variant } from './agent-cache-rss-child.js';

interface Mem { objects: number; rssMB: number; heapMB: number; podBytes: number; slimPodBytes: number; nodeBytes: number; slimNodeBytes: number }

async function measure(bundle: string, variant: Variant, pods: number): Promise<Mem> {
  const r = await execa(process.execPath, ['--expose-gc', bundle, '--child', variant, String(pods)]);
  return JSON.parse(String(r.stdout).trim()) as Mem;
}

/** The child bundled like the shipped daemon (esbuild, plain node, no tsx). */
async function bundled(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(dir, 'cache-rss.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('./agent-cache-rss-child.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'error',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
  return out;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const pods = opts.quick ? 25_000 : 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'se-cache-rss-'));
  const m: Partial<Record<Variant, Mem>> = {};
  try {
    const bundle = await bundled(dir);
    for (const v of ['empty', 'full', 'slim', 'node'] as const) m[v] = await measure(bundle, v, v === 'empty' ? 0 : pods);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { empty, full, slim, node: scoped } = m as Record<Variant, Mem>;
  const base = { name: 'empty node process (bundled, like the daemon)', value: r1(empty.rssMB) };
  const details = { pods, nodes: NODES, empty, full, slim, nodeScoped: scoped, note: 'RSS after full GCs, caches only (no computed view); child bundled with esbuild and run with plain node, like the shipped daemon' };
  return {
    name: 'agent-cache-rss',
    figures: [
      figure({ name: `agent caches, ${pods} pods + ${NODES} Nodes as the API sends them (before)`, unit: 'MB', value: r1(full.rssMB), baseline: base, details }),
      figure({ name: `agent caches, the same listed in pages and slim (listInPages, slimPod, slimNode)`, unit: 'MB', value: r1(slim.rssMB), baseline: base }),
      figure({ name: `director's caches: its node's pods only (field selector) + ${NODES} slim Nodes`, unit: 'MB', value: r1(scoped.rssMB), baseline: base,
        target: '≤ 100 MB', met: scoped.rssMB <= 100 }),
    ],
  };
}

