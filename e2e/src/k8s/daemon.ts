// One long-running child process (etcd, kube-apiserver) with its output appended to a log file.
// Every live daemon is killed synchronously when this process exits or is interrupted, so a crashed
// or Ctrl-C'd test run leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

const live = new Set<Daemon>();
const exitHooks = new Set<() => void>();
let handlersInstalled = false;

/** Runs `fn` synchronously on process exit, SIGINT, SIGTERM and SIGHUP (after live daemons are killed). */
export function onProcessExit(fn: () => void): () => void {
  installHandlers();
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

function killAllSync(): void {
  for (const d of live) d.killSync();
  for (const fn of exitHooks) {
    try { fn(); } catch { /* best effort during exit */ }
  }
  exitHooks.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    const handler = (): void => {
      killAllSync();
      // Exit ourselves only when nobody else (mocha, the lab CLI) handles the signal.
      if (process.listenerCount(sig) === 1) process.exit(code);
    };
    process.on(sig, handler);
  }
}

export class Daemon {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private exitInfo: string | undefined;

  constructor(readonly name: string, private readonly bin: string, private readonly args: string[],
    readonly logPath: string) {}

  get pid(): number | undefined { return this.child?.pid; }
  get running(): boolean { return this.child !== undefined && this.exitInfo === undefined; }
  /** Why the process ended, when it did ("exit code 1", "signal SIGKILL"). */
  get exitReason(): string | undefined { return this.exitInfo; }

  start(): void {
    if (this.running) throw new Error(`${this.name} already running (pid ${this.pid})`);
    installHandlers();
    const fd = openSync(this.logPath, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} starting ${this.bin} ${this.args.join(' ')}\n`);
    const child = spawn(this.bin, this.args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.exitInfo = undefined;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        live.delete(this);
        resolve(code);
      });
      child.once('error', (err) => {
        this.exitInfo = `spawn error: ${err.message}`;
        live.delete(this);
        resolve(null);
      });
    });
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. Resolves once reaped. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGCONT'); // a paused process cannot act on SIGTERM
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child?.kill(sig);
  }

  killSync(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** Resolves when the process exits (immediately if it is not running). */
  waitExit(): Promise<number | null> { return this.exited; }

  logTail(lines = 25): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
