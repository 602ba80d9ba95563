// The kernel's connection events as lines: `conntrack -E` (ctnetlink NEW and DESTROY groups) as a
// child process of the agent, restarted when it exits, stopped on shutdown. Byte counts need
// net.netfilter.nf_conntrack_acct, a per-namespace sysctl: set in the node's namespace only when the
// audit log is on.
import { execa, type ResultPromise } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export const CONNTRACK_EVENT_ARGS = ['-E', '-e', 'NEW,DESTROY', '-o', 'timestamp,extended,id', '--buffer-size', '4194304'];
const ACCT = '/proc/sys/net/netfilter/nf_conntrack_acct';

export interface ConntrackEventsOptions {
  onLine: (line: string) => void;
  onError: (e: Error) => void;
  restartMs?: number;
}

export class LinuxConntrackEvents {
  private child: ResultPromise | undefined;
  private restart: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: ConntrackEventsOptions) {}

  start(): void {
    if (this.stopped) return;
    const child = this.child = execa('conntrack', CONNTRACK_EVENT_ARGS, { reject: false, buffer: false });
    createInterface({ input: child.stdout! }).on('line', this.o.onLine);
    // "WARNING: We have hit ENOBUFS! We are losing events." and the like
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (!/flow events have been shown/.test(l)) this.o.onError(new Error(`conntrack -E: ${l}`));
    });
    void child.then((r) => {
      this.child = undefined;
      if (this.stopped) return;
      this.o.onError(new Error(`conntrack -E exited (${r.exitCode ?? r.signal}${r.failed && r.code ? `, ${r.code}` : ''}); restarting`));
      this.restart = setTimeout(() => this.start(), this.o.restartMs ?? 1_000);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    await child;
  }
}

/**
 * Turns connection byte accounting on in this network namespace (only entries created afterwards
 * count). Resolves whether it was off before; rejects when /proc/sys is read-only (a container
 * without a writable /proc/sys: set it on the node instead, docs/audit-log.md).
 */
export async function enableConntrackAccounting(path = ACCT): Promise<boolean> {
  if ((await readFile(path, 'utf8')).trim() === '1') return false;
  await writeFile(path, '1\n');
  return true;
}
