// ipset, iptables, GARP: one process per batch through their binaries (DESIGN §6).
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import type { GarpSender, IpsetRestorer, IptablesRestorer } from './interfaces.js';

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await execa(cmd, args, { input, reject: false, stripFinalNewline: false });
  if (r.exitCode !== 0) {
    const msg = String(r.stderr || r.stdout).trim().split('\n').slice(0, 5).join('; ');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode}): ${msg}`);
  }
  return String(r.stdout);
}

export class LinuxIpset implements IpsetRestorer {
  save(): Promise<string> {
    return run('ipset', ['save']);
  }
  async restore(text: string): Promise<void> {
    if (text) await run('ipset', ['restore'], text);
  }
}

export class LinuxIptables implements IptablesRestorer {
  async save(opts: { counters?: boolean } = {}): Promise<string> {
    return run('iptables-save', opts.counters ? ['-c'] : []);
  }
  async restore(text: string): Promise<void> {
    if (text) await run('iptables-restore', ['-w', '5', '--noflush'], text);
  }
}

/**
 * Announcements of a claimed address (GARP for IPv4, unsolicited NA for IPv6): sent at `delaysMs`
 * after the claim, detached, never awaited. Pending ones are cancelled when the address is released:
 * a late one would announce an IP this node no longer holds.
 */
export class RepeatedAnnouncer implements GarpSender {
  private readonly pending = new Map<string, Set<NodeJS.Timeout>>();
  /**
   * Asked before each repeat (not the first, sent at the claim under a fresh lease): a repeat goes
   * out only while the node's lease runs — a node cut off from the managers may no longer hold the
   * IP by then even though it has not released it yet (issue 16: the lease ends before the fence).
   */
  mayRepeat: (ip: string) => boolean = () => true;
  constructor(
    private readonly send: (dev: string, ip: string) => void,
    private readonly delaysMs: readonly number[] = [0, 250, 1000, 2000],
  ) {}
  announce(dev: string, ip: string): void {
    const timers = this.pending.get(ip) ?? new Set<NodeJS.Timeout>();
    this.pending.set(ip, timers);
    for (const d of this.delaysMs) {
      // the first one now, not on a timer: the operation after a claim's GARP spawns a process
      // (conntrack), which holds the event loop — a 0 ms timer fired 15–20 ms late on a loaded node
      if (d === 0) {
        this.send(dev, ip);
        continue;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        if (!timers.size) this.pending.delete(ip);
        if (d > 0 && !this.mayRepeat(ip)) return;
        this.send(dev, ip);
      }, d);
      t.unref();
      timers.add(t);
    }
    if (!timers.size) this.pending.delete(ip);
  }
  cancel(ip: string): void {
    for (const t of this.pending.get(ip) ?? []) clearTimeout(t);
    this.pending.delete(ip);
  }
}

/**
 * GARPs through the long-lived sender when given (kernel/garp-session.ts), else — or when it fails —
 * `arping -U -c 1`, which waits a second before it exits, so each is fired detached. Both send from
 * a packet socket, past the kernel lease's guard.
 */
export class LinuxGarp extends RepeatedAnnouncer {
  constructor(delaysMs?: readonly number[], onError?: (e: Error) => void, session?: { send(dev: string, ip: string): Promise<void> }) {
    const arping = (dev: string, ip: string): void => {
      const child = spawn('arping', ['-U', '-c', '1', '-I', dev, '-s', ip, ip], { stdio: 'ignore' });
      child.on('error', (e) => onError?.(e));
      child.unref();
    };
    super((dev, ip) => {
      if (!session) return arping(dev, ip);
      session.send(dev, ip).catch((e: Error) => {
        onError?.(e);
        arping(dev, ip);
      });
    }, delaysMs);
  }
}
