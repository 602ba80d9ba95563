// One long-lived python3 that sends the unsolicited neighbour advertisements (issue 11). Node.js has
// no raw ICMPv6 socket; spawning `python3 -c` for each NA cost an interpreter start (tens of ms on a
// loaded node) on the failover's critical path, where the IPv4 GARP costs a fork of arping. One
// process reads `<dev> <source> <icmpv6 hex>` lines and answers `ok` or `err <message>` per line, in
// order. Each NA gets a fresh socket bound to its egress IP (the source the kernel lease checks) and
// to the device, hop limit 255 (RFC 4861): a socket kept from an earlier NA could outlive the
// address. A dead or stuck process fails what it holds and is replaced by the next NA. warm() starts
// the process ahead of the first NA and keeps one running: started at the claim itself, the
// interpreter (≈ 300 ms on a loaded node) delayed the first NA of a freshly started agent — and a
// failover's new holder is often just that — until the 250 ms repeat had gone out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The line protocol's Python loop around `body` (statements that send one frame from `dev`, `src`
 * and `msg`, the line's three words): `ok` or `err <message>` per line, in order.
 */
export function lineSenderScript(body: readonly string[]): string {
  return [
    'import socket,sys',
    'for line in sys.stdin:',
    '  try:',
    '    dev,src,msg=line.split()',
    ...body.map((l) => `    ${l}`),
    '    out="ok"',
    '  except Exception as e:',
    '    out="err "+str(e).replace("\\n"," ")',
    '  sys.stdout.write(out+"\\n")',
    '  sys.stdout.flush()',
  ].join('\n');
}

export const NA_SENDER_SCRIPT = lineSenderScript([
  'idx=socket.if_nametoindex(dev)',
  'with socket.socket(socket.AF_INET6,socket.SOCK_RAW,socket.IPPROTO_ICMPV6) as s:',
  '  s.setsockopt(socket.SOL_SOCKET,socket.SO_BINDTODEVICE,dev.encode())',
  '  s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_HOPS,255)',
  '  s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_IF,idx)',
  '  s.bind((src,0))',
  '  s.sendto(bytes.fromhex(msg),("ff02::1",0,0,idx))',
]);

export interface NaSessionOptions {
  /** Command and arguments before the script (default `python3 -u -c`); tests prefix `ip netns exec`. */
  command?: readonly string[];
  /** An NA not answered in this long fails, and the process is replaced (default 2 s). */
  timeoutMs?: number;
  /** Another sender on the same line protocol (kernel/garp-session.ts): its script and its name in errors. */
  script?: string;
  name?: string;
}

interface Pending { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

export class NaSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private closed = false;
  private keepWarm = false;

  constructor(private readonly opts: NaSessionOptions = {}) {}

  private get name(): string { return this.opts.name ?? 'NA sender'; }

  /** Sends one NA (the ICMPv6 message, render/na.ts) from `src` on `dev`; rejects when it did not leave (lease drop, no such address). */
  send(dev: string, src: string, icmp: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.name} closed`));
    const child = this.child ?? this.start();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(child, `${this.name} did not answer`), this.opts.timeoutMs ?? 2_000);
      this.pending.push({ resolve, reject, timer });
      child.stdin.write(`${dev} ${src} ${Buffer.from(icmp).toString('hex')}\n`);
    });
  }

  /** Starts the process now (not at the first NA) and restarts it a second after it dies. */
  warm(): void {
    this.keepWarm = true;
    if (!this.closed && !this.child) this.start();
  }

  close(): void {
    this.closed = true;
    if (this.child) this.fail(this.child, `${this.name} closed`);
  }

  private start(): ChildProcessWithoutNullStreams {
    const [cmd, ...args] = this.opts.command ?? ['python3', '-u', '-c'];
    const child = spawn(cmd!, [...args, this.opts.script ?? NA_SENDER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.resume();
    createInterface({ input: child.stdout }).on('line', (l) => this.answer(child, l));
    child.stdin.on('error', () => this.fail(child, `${this.name} stdin closed`));
    child.on('error', (e) => this.fail(child, `${this.name}: ${e.message}`));
    child.on('exit', (code) => {
      this.fail(child, `${this.name} exited (${code})`);
      if (this.keepWarm && !this.closed) setTimeout(() => { if (!this.closed && !this.child) this.start(); }, 1_000).unref();
    });
    return child;
  }

  private answer(child: ChildProcessWithoutNullStreams, line: string): void {
    if (child !== this.child) return;
    const p = this.pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    if (line === 'ok') p.resolve();
    else p.reject(new Error(`${this.name === 'NA sender' ? 'unsolicited NA' : this.name} failed: ${line.replace(/^err /, '')}`));
  }

  private fail(child: ChildProcessWithoutNullStreams, why: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    child.kill();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
  }
}
