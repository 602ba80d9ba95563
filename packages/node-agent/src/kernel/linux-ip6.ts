// The IPv6 state's kernel capabilities that run a program (issue 11), in the network namespace this
// process runs in: ip6tables (one `ip6tables-restore --noflush` per transaction, as for IPv4) and the
// unsolicited NA (render/na.ts) through the long-lived raw ICMPv6 sender (na-session.ts); the ip6
// egress guard is linux-guard.ts's, as IPv4's. Rules, routes and the /128 `nodad` egress addresses go over rtnetlink
// (linux-netlink.ts, family 6) and the NA lease over an `nft -i` session (linux-lease.ts, NA_LEASE),
// as IPv4's do: an IPv6 claim spawns no process.
import { execa } from 'execa';
import { renderUnsolicitedNA } from '../render/na.js';
import { RepeatedAnnouncer } from './linux-exec.js';
import type { NaSession } from './na-session.js';
import type { IptablesRestorer } from './interfaces.js';

/** Runs a command with args and stdin; the default runs it in this process's network namespace (tests pass their own). */
export type Exec = (cmd: string, args: string[], input?: string) => Promise<{ ok: boolean; out: string; err: string }>;

export const localExec: Exec = async (cmd, args, input) => {
  const r = await execa(cmd, args, { input, reject: false, stripFinalNewline: false });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr || r.stdout).trim().split('\n')[0] ?? '' };
};

async function mustOf(run: Exec, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

export class LinuxIp6tables implements IptablesRestorer {
  constructor(private readonly run: Exec = localExec) {}
  private must(cmd: string, args: string[], input?: string): Promise<string> { return mustOf(this.run, cmd, args, input); }
  save(opts: { counters?: boolean } = {}): Promise<string> {
    return this.must('ip6tables-save', opts.counters ? ['-c'] : []);
  }
  async restore(text: string): Promise<void> {
    if (text) await this.must('ip6tables-restore', ['-w', '5', '--noflush'], text);
  }
}

/**
 * Unsolicited NAs at the GARPs' delays and under the same repeat guard (RepeatedAnnouncer), over one
 * long-lived sender (kernel/na-session.ts). The link-layer address is read once per device;
 * prepare(dev) reads it and starts the sender before any claim, so the first NA costs a line on a
 * pipe, as the first GARP costs an arping.
 */
export class LinuxUnsolicitedNA extends RepeatedAnnouncer {
  readonly prepare: (dev: string) => void;

  constructor(sender: Pick<NaSession, 'send' | 'warm'>, macOf: (dev: string) => Promise<string>, delaysMs?: readonly number[], onError?: (e: Error) => void) {
    const macs = new Map<string, Promise<string>>();
    const mac = (dev: string) => {
      let m = macs.get(dev);
      if (!m) {
        m = macOf(dev);
        m.catch(() => macs.delete(dev)); // read again next time
        macs.set(dev, m);
      }
      return m;
    };
    super((dev, ip) => { mac(dev).then((m) => sender.send(dev, ip, renderUnsolicitedNA(ip, m))).catch((e: Error) => onError?.(e)); }, delaysMs);
    this.prepare = (dev) => {
      sender.warm();
      mac(dev).catch((e: Error) => onError?.(e));
    };
  }
}
