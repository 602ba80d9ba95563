// Impure helpers the benchmarks need on top of the Lab's public API. Every command runs inside a lab
// network namespace (`ip netns exec <prefix>-…`, refused otherwise); nothing here touches the root
// namespace. Background processes are tracked and killed by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import * as A from '../../e2e/src/lab/addressing.js';
import { addNetns, applyScripts, destroyNetnsSync, inNetns } from '../../e2e/src/lab/exec.js';
import type { Lab } from '../../e2e/src/lab/lab.js';
import { LAB_NETNS_RE } from '../../e2e/src/lab/names.js';
import * as O from '../../e2e/src/lab/objects.js';
import { renderPod } from '../../e2e/src/lab/topology.js';
import type { ProbeRecord } from './probe-math.js';

const TSX = fileURLToPath(import.meta.resolve('tsx'));
const UDP_PROBE = fileURLToPath(new URL('./udp-probe.ts', import.meta.url));

function assertLabNs(ns: string): void {
  if (!LAB_NETNS_RE.test(ns)) throw new Error(`refusing to act outside a lab namespace: ${ns}`);
}

export { inNetns };

/** Runs a command in a lab netns; resolves stdout+stderr and the exit code (never throws on exit code). */
export async function run(ns: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number; out: string }> {
  assertLabNs(ns);
  const r = await execa('ip', ['netns', 'exec', ns, cmd, ...args], { reject: false, input: opts.input, timeout: opts.timeoutMs });
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}` };
}

/** Long-running processes started by the benchmark, killed by pid. */
export class Background {
  private readonly children = new Set<ChildProcess>();

  start(ns: string, cmd: string, args: string[]): ChildProcess {
    assertLabNs(ns);
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(c);
    c.on('exit', () => this.children.delete(c));
    return c;
  }

  async stop(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }

  killAllSync(): void {
    for (const c of this.children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  }
}

/** The bench's UDP prober (udp-probe.ts) in a pod namespace; resolves once the first reply came back. */
export class UdpProbe {
  private constructor(private readonly bg: Background, private readonly child: ChildProcess, readonly outPath: string) {}

  static async start(bg: Background, ns: string, outPath: string, opts: { fresh?: boolean; intervalMs?: number; target?: string } = {}): Promise<UdpProbe> {
    const args = ['--import', TSX, UDP_PROBE, '--out', outPath, '--interval', String(opts.intervalMs ?? 5),
      '--target', opts.target ?? A.ECHO_IP, ...(opts.fresh ? ['--fresh'] : [])];
    const child = bg.start(ns, process.execPath, args);
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += String(d); });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe in ${ns} got no reply within 30 s: ${stderr}`)), 30_000);
      child.stdout?.on('data', (d) => { if (String(d).includes('ready')) { clearTimeout(t); resolve(); } });
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`probe in ${ns} exited (${code}): ${stderr}`)); });
    });
    return new UdpProbe(bg, child, outPath);
  }

  async stop(): Promise<ProbeRecord> {
    await this.bg.stop(this.child);
    return JSON.parse(readFileSync(this.outPath, 'utf8')) as ProbeRecord;
  }
}

/**
 * A pod the lab's addPod cannot give us: the network (netns + veth, as a CNI ADD would) first, the
 * Pod object later, its IP last — so a prober can already run inside when the IP becomes known.
 * Uses pod indexes and addresses the lab's own counters do not reach (the lab counts up from 0).
 */
export class BarePod {
  readonly netns: string;
  readonly ip: string;
  constructor(private readonly lab: Lab, readonly namespace: string, readonly name: string, readonly node: number,
    readonly index: number, slot: number) {
    this.netns = lab.names.podNs(index);
    this.ip = A.podIP(node, slot);
  }

  async network(): Promise<void> {
    await addNetns([this.netns]);
    await applyScripts(renderPod(this.lab.plan, { index: this.index, node: this.node, ip: this.ip }));
  }

  async createObject(labels: Record<string, string>): Promise<void> {
    await this.lab.kube.create(O.paths.pods(this.namespace),
      O.podObject({ namespace: this.namespace, name: this.name, nodeName: this.lab.nodeName(this.node), labels }));
  }

  /** Patches status.podIP; resolves [request sent, response received] (epoch ms). */
  async publishIP(): Promise<[number, number]> {
    const t0 = Date.now();
    await this.lab.kube.patch(O.paths.podStatus(this.namespace, this.name), O.podStatus(this.ip, A.nodeIP(this.node)));
    return [t0, Date.now()];
  }

  async remove(): Promise<void> {
    await this.lab.kube.delete(`${O.paths.pod(this.namespace, this.name)}?gracePeriodSeconds=0`).catch(() => undefined);
    destroyNetnsSync([this.netns]);
  }
}

export function readLog(lab: Lab, file: string): string {
  try { return readFileSync(join(lab.logDir, file), 'utf8'); } catch { return ''; }
}
