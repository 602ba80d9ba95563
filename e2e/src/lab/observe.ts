// Observing the lab from outside the product: which node's uplink holds which egress address, what
// source address the external echo server sees from a pod, continuous probes, and the echo server's
// record. The suites assert on these, never on the daemons' own view.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipFamilyOf } from '@static-egress/crds';
import type { Daemon } from '../k8s/daemon.js';
import * as A from './addressing.js';
import type { LabApi, LabPod } from './api.js';
import type { LabContext } from './context.js';
import { readEchoLog, type EchoEntry } from './echo-log.js';
import { tryInNetns } from './exec.js';
import { nodeIP6 } from './ipv6.js';
import type { LabNetwork } from './network.js';
import { analyzeProbe, type ProbeRecord, type ProbeReport } from './probe-analysis.js';
import { waitFor } from './wait.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export class LabObserver {
  constructor(private readonly ctx: LabContext, private readonly net: LabNetwork, private readonly api: LabApi) {}

  /**
   * Egress addresses present on each node's uplink: ip → nodes holding it (more than one is a bug).
   * Nodes cut off the LAN are left out unless `includeCut` (a dead node cannot clean up).
   */
  async holders(opts: { includeCut?: boolean } = {}): Promise<Map<string, string[]>> {
    const { ctx } = this;
    const out = new Map<string, string[]>();
    await Promise.all(ctx.nodeIndexes.filter((i) => opts.includeCut || !this.net.isCut(i)).map(async (i) => {
      // both families (a dual-stack lab's IPv6 egress IPs too); link-local addresses are no egress IPs
      const r = await tryInNetns(ctx.names.nodeNs(i), 'ip', ['-j', 'addr', 'show', 'dev', ctx.names.nodeUplink(i)]);
      if (r.code !== 0) return;
      const links = JSON.parse(r.out.split('\n')[0] || '[]') as { addr_info?: { local: string; scope?: string }[] }[];
      for (const a of links.flatMap((l) => l.addr_info ?? [])) {
        if (a.local === A.nodeIP(i) || a.local === nodeIP6(i) || a.scope === 'link') continue;
        out.set(a.local, [...(out.get(a.local) ?? []), ctx.nodeName(i)].sort());
      }
    }));
    return out;
  }

  /** Waits until the policy's status assigns every egress IP and the IPs are on those nodes' uplinks. */
  async waitAssigned(namespace: string, name: string, timeoutMs = 60_000): Promise<Map<string, string>> {
    return waitFor(`${namespace}/${name} to be assigned and programmed`, async () => {
      const p = await this.api.getPolicy(namespace, name);
      const want = p?.spec.egressIPs ?? [];
      const got = new Map((p?.status?.assignments ?? []).map((a) => [a.egressIP, a.node]));
      if (want.length === 0 || !want.every((ip) => got.get(ip))) return undefined;
      const held = await this.holders();
      return want.every((ip) => (held.get(ip) ?? []).join() === got.get(ip)) ? got : undefined;
    }, timeoutMs, 250);
  }

  /** One TCP connection from the pod to the echo server; resolves the source address it saw. */
  async sourceIPSeen(pod: LabPod, dst = A.ECHO_IP): Promise<string> {
    const host = ipFamilyOf(dst) === 6 ? `[${dst}]` : dst; // socat's IPv6 address form
    const r = await tryInNetns(pod.netns, 'socat', ['-T3', '-', `TCP:${host}:${A.ECHO_TCP_PORT},connect-timeout=3`]);
    if (r.code !== 0) throw new Error(`pod ${pod.name} → ${dst}:${A.ECHO_TCP_PORT} failed: ${r.out}`);
    return r.out.trim();
  }

  /**
   * Polls until the pod's connections to `dst` arrive with source `want`; resolves with the ms it
   * took. Agents learn of pods and policies through their own watches, a moment after the API (and
   * after the manager) does, so one immediate check would race them. On timeout the error names
   * the source the external server saw last.
   */
  async waitSourceIP(pod: LabPod, want: string, opts: { dst?: string; timeoutMs?: number } = {}): Promise<number> {
    const t = Date.now();
    let last = '(no answer)';
    await waitFor(`${pod.namespace}/${pod.name} to leave with ${want}`, async () => {
      last = await this.sourceIPSeen(pod, opts.dst).catch((e: Error) => e.message);
      return last === want;
    }, opts.timeoutMs ?? 30_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}; the external server last saw ${last}`);
    });
    return Date.now() - t;
  }

  /** Starts a continuous prober in the pod; `stop()` ends it and resolves its record. */
  startProbe(pod: LabPod, opts: { mode?: 'udp' | 'stream'; intervalMs?: number; target?: string } = {}): Probe {
    const mode = opts.mode ?? 'udp';
    // a probe per target may run at once (dual stack: one per family): the target names its files
    const tag = opts.target ? `-${opts.target.replace(/[.:]/g, '_')}` : '';
    const out = join(this.ctx.logDir, `probe-${pod.name}${tag}-${Date.now()}.json`);
    const [cmd, args] = this.ctx.nodeScript(join(HERE, 'probe.ts'), ['--mode', mode, '--target', opts.target ?? A.ECHO_IP,
      '--interval', String(opts.intervalMs ?? (mode === 'udp' ? 5 : 20)), '--out', out]);
    const d = this.ctx.daemon(`probe-${pod.name}-${mode}${tag}`, pod.netns, cmd, args);
    d.start();
    return new Probe(d, out);
  }

  echoLog(sinceMs = 0): EchoEntry[] {
    return readEchoLog(this.ctx.echoLogPath, sinceMs);
  }
}

export class Probe {
  constructor(readonly daemon: Daemon, readonly outPath: string) {}

  async stop(): Promise<ProbeRecord> {
    await this.daemon.stop('SIGTERM', 5_000);
    try {
      return JSON.parse(readFileSync(this.outPath, 'utf8')) as ProbeRecord;
    } catch (err) {
      throw new Error(`probe wrote no record (${this.daemon.exitReason}; log ${this.daemon.logPath}): ${(err as Error).message}`);
    }
  }

  async stopAndAnalyze(expected: string | string[]): Promise<ProbeReport & { record: ProbeRecord }> {
    const record = await this.stop();
    return { ...analyzeProbe(record, expected), record };
  }
}
