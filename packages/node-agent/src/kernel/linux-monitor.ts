// The kernel's change notifications as lines (issue 12 §2): `ip -o monitor` (rtnetlink multicast
// groups: rules, routes, addresses, links, netconf) and `nft monitor` (nftables events: our guard
// table, and the iptables tables on the nft backend) run as child processes of the agent. ipsets
// send no notifications, and iptables-legacy neither: a cheap poll hashes `ipset save` (and
// `iptables-save`, with the IPv6 state `ip6tables-save` too, on legacy) and reports a change.
import { execa, type ResultPromise } from 'execa';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

export type MonitorSource = 'ip' | 'nft' | 'poll';

export interface MonitorOptions {
  onLine: (source: MonitorSource, line: string) => void;
  onError: (e: Error) => void;
  /** poll period; 0 disables the poll */
  pollMs: number;
  /** iptables-legacy: the poll also hashes iptables-save */
  legacyIptables: boolean;
  /** the IPv6 state runs: on iptables-legacy the poll hashes ip6tables-save too */
  ipv6?: boolean;
}

export class LinuxChangeMonitor {
  private readonly children: ResultPromise[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastHash = '';

  constructor(private readonly o: MonitorOptions) {}

  start(): void {
    this.spawn('ip', ['-o', 'monitor', 'rule', 'route', 'address', 'link', 'netconf']);
    this.spawn('nft', ['monitor']);
    if (this.o.pollMs > 0) this.timer = setInterval(() => void this.poll(), this.o.pollMs);
  }

  private spawn(cmd: 'ip' | 'nft', args: string[]): void {
    if (this.stopped) return;
    const child = execa(cmd, args, { reject: false, buffer: false });
    this.children.push(child);
    createInterface({ input: child.stdout! }).on('line', (l) => this.o.onLine(cmd, l));
    void child.then((r) => {
      this.children.splice(this.children.indexOf(child), 1);
      if (this.stopped) return;
      this.o.onError(new Error(`${cmd} monitor exited (${r.exitCode ?? r.signal}); restarting`));
      setTimeout(() => this.spawn(cmd, args), 1_000); // the periodic resync covers the gap
    });
  }

  private async poll(): Promise<void> {
    try {
      const outs = await Promise.all([
        execa('ipset', ['save'], { reject: false }),
        ...(this.o.legacyIptables ? [execa('iptables-save', [], { reject: false })] : []),
        ...(this.o.legacyIptables && this.o.ipv6 ? [execa('ip6tables-save', [], { reject: false })] : []),
      ]);
      // counters off: a packet count is no change
      const text = outs.map((r) => String(r.stdout).replace(/\[\d+:\d+\]/g, '')).join('\n');
      const hash = createHash('sha1').update(text).digest('hex');
      if (this.lastHash && hash !== this.lastHash) this.o.onLine('poll', 'changed');
      this.lastHash = hash;
    } catch (e) {
      this.o.onError(e as Error);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const c of this.children.splice(0)) c.kill('SIGTERM');
  }
}
