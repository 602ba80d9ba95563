// ARP on the lab's LAN, as the router and the directors see it (issue 14): a capture on the LAN
// bridge (tcpdump, inside the LAN namespace) and the questions the failover suites ask of it — who
// announced an egress IP, and was there ever a moment when two MACs answered for one. Parsing and
// analysis are pure (arp.test.ts); the capture is a lab daemon like any other.
import { readFileSync } from 'node:fs';
import type { Daemon } from '../k8s/daemon.js';
import type { LabContext } from './context.js';
import { inNetns } from './exec.js';

export interface ArpFrame {
  /** wall-clock ms */
  t: number;
  srcMac: string;
  op: 'request' | 'reply';
  /** the sender protocol address: who the frame says has it */
  sender: string;
  target: string;
}

// 1764469200.123456 aa:bb:cc:dd:ee:ff > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.1 tell 192.0.2.100, length 28
// 1764469200.123456 aa:bb:cc:dd:ee:ff > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.100 (ff:ff:ff:ff:ff:ff) tell 192.0.2.100, length 28
// 1764469200.123456 aa:bb:cc:dd:ee:ff > 11:22:33:44:55:66, ethertype ARP (0x0806), length 42: Reply 192.0.2.100 is-at aa:bb:cc:dd:ee:ff, length 28
const LINE = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype ARP[^:]*: (?:Request who-has (\S+)(?: \([0-9a-f:]+\))? tell (\S+)|Reply (\S+) is-at)/;

export function parseArpLine(line: string): ArpFrame | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const t = Math.round(Number(m[1]) * 1000);
  if (m[3] !== undefined) return { t, srcMac: m[2]!, op: 'request', sender: m[4]!.replace(/,$/, ''), target: m[3] };
  return { t, srcMac: m[2]!, op: 'reply', sender: m[5]!, target: '' };
}

/** Frames in which a MAC claims `ip` (replies, gratuitous ARP, requests sent from it), in [from, to). */
export function claimsOf(frames: readonly ArpFrame[], ip: string, from = -Infinity, to = Infinity): ArpFrame[] {
  return frames.filter((f) => f.sender === ip && f.t >= from && f.t < to);
}

/** Windows of `windowMs` (aligned) in which more than one MAC claimed `ip`. */
export function twoMacWindows(frames: readonly ArpFrame[], ip: string, windowMs = 100): { t: number; macs: string[] }[] {
  const byWindow = new Map<number, Set<string>>();
  for (const f of claimsOf(frames, ip)) {
    const w = Math.floor(f.t / windowMs) * windowMs;
    byWindow.set(w, (byWindow.get(w) ?? new Set()).add(f.srcMac));
  }
  return [...byWindow].filter(([, macs]) => macs.size > 1).map(([t, macs]) => ({ t, macs: [...macs].sort() })).sort((a, b) => a.t - b.t);
}

/** A capture of every ARP frame on the LAN bridge; `stop()` returns them. */
export class ArpCapture {
  private constructor(private readonly daemon: Daemon) {}

  static async start(ctx: LabContext, name = 'arp-capture'): Promise<ArpCapture> {
    const d = ctx.daemon(name, ctx.names.lanNs, 'tcpdump', ['-i', ctx.names.bridge, '-l', '-n', '-e', '-tt', '--immediate-mode', 'arp']);
    d.start();
    await new Promise((r) => setTimeout(r, 500)); // tcpdump attaches
    return new ArpCapture(d);
  }

  async stop(): Promise<ArpFrame[]> {
    await new Promise((r) => setTimeout(r, 200)); // the last frames reach the log
    await this.daemon.stop('SIGINT', 5_000);
    return readFileSync(this.daemon.logPath, 'utf8').split('\n').map(parseArpLine).filter((f): f is ArpFrame => f !== undefined);
  }
}

/** The MAC of each lab node's uplink. */
export async function nodeMacs(ctx: LabContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const i of ctx.nodeIndexes) {
    const j = JSON.parse(await inNetns(ctx.names.nodeNs(i), 'ip', ['-j', 'link', 'show', ctx.names.nodeUplink(i)])) as { address?: string }[];
    if (j[0]?.address) out.set(j[0].address, ctx.nodeName(i));
  }
  return out;
}
