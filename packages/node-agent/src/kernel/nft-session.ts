// One long-lived `nft -i` for batches that run many times a second (the lease renewals, issue 16):
// spawning an `nft` per batch costs a fork + exec + ruleset cache load each time, which a loaded
// node pays in tens of ms — more than a short lease can wait. In interactive mode each input line
// is one netlink transaction (commands joined by `;` apply whole or not at all); nft reports errors
// on stderr (unbuffered) and nothing on success, so every batch is followed by a marker command that
// always fails (`list table` of a table that never exists): the stderr up to the marker's own error
// belongs to the batch — any other `Error:` line there means the batch failed. One batch at a time;
// a dead or stuck process is replaced by the next call.
// nft's interactive mode keeps a line-editing history: it reads `$HOME/.nft.history` at start, adds
// every line to it in memory and walks it on every line, and writes it back at exit. A batch's round
// trip grew with the lines the process had seen (0.23 ms after 4,000 lines, 1.5 ms after 24,000 —
// at a renewal every probe, ≈ 20 ms within the hour and more after), and on a host shared by many
// agents a 13 MB history file made every batch ≈ 15 ms from the first. So the process runs with
// HOME=/dev/null (no history file is read or written) and is replaced after `maxBatches` batches,
// before the next batch needs it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface NftBatchResult { ok: boolean; error: string }

export interface NftSessionOptions {
  /** Command and arguments that start nft in interactive mode (default `nft -i`). */
  command?: readonly string[];
  /** A batch not acknowledged in this long is failed and the process replaced (default 2 s). */
  timeoutMs?: number;
  /** Batches one process runs before a fresh one takes over (default 1,000; see the file comment). */
  maxBatches?: number;
}

const MARKER = 'segress_nft_ack_';

/** Joins a rendered `nft -f` text into one interactive line: one transaction. */
export function renderInteractiveBatch(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).join('; ');
}

/** Splits an acknowledged chunk of stderr into the batch's verdict (pure; see the file comment). */
export function parseBatchAck(chunk: string): NftBatchResult {
  const errors = chunk.split('\n').filter((l) => l.startsWith('Error:'));
  // the last Error: line is the marker's own
  return errors.length > 1 ? { ok: false, error: errors[0]!.slice('Error:'.length).trim() } : { ok: true, error: '' };
}

interface Pending { seq: number; resolve: (r: NftBatchResult) => void; timer: NodeJS.Timeout }

export class NftSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private stderr = '';
  private seq = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** batches the running process has acknowledged */
  private batches = 0;

  constructor(private readonly opts: NftSessionOptions = {}) {}

  /** Runs one batch (text as for `nft -f`) as one transaction; never rejects. */
  run(text: string): Promise<NftBatchResult> {
    const line = renderInteractiveBatch(text);
    if (!line) return Promise.resolve({ ok: true, error: '' });
    const next = this.queue.then(() => this.runOne(line));
    this.queue = next;
    return next;
  }

  close(): void {
    this.closed = true;
    this.child?.kill();
    this.child = undefined;
  }

  private runOne(line: string): Promise<NftBatchResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'nft session closed' });
    const child = this.child ?? this.start();
    const seq = ++this.seq;
    return new Promise<NftBatchResult>((resolve) => {
      const timer = setTimeout(() => {
        this.fail('nft session did not answer');
      }, this.opts.timeoutMs ?? 2_000);
      this.pending = { seq, resolve, timer };
      child.stdin.write(`${line}\nlist table arp ${MARKER}${seq}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const [cmd, ...args] = this.opts.command ?? ['nft', '-i'];
    // HOME=/dev/null: `/dev/null/.nft.history` can never be opened (see the file comment)
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: '/dev/null' } });
    this.child = child;
    this.stderr = '';
    this.batches = 0;
    child.stdout.resume(); // nothing is listed; drain whatever nft prints
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => this.onStderr(child, d));
    child.stdin.on('error', () => this.fail('nft session stdin closed', child));
    child.on('error', (err) => this.fail(`nft session: ${err.message}`, child));
    child.on('exit', () => this.fail('nft session exited', child));
    return child;
  }

  private onStderr(child: ChildProcessWithoutNullStreams, data: string): void {
    if (child !== this.child) return;
    this.stderr += data;
    const p = this.pending;
    if (!p) return;
    const m = this.stderr.indexOf(`${MARKER}${p.seq}\n`);
    if (m < 0) return;
    // the marker's error ends with a caret line after the echoed command
    const caret = this.stderr.indexOf('\n', m + MARKER.length + String(p.seq).length + 1);
    if (caret < 0) return;
    const chunk = this.stderr.slice(0, caret + 1);
    this.stderr = this.stderr.slice(caret + 1);
    this.settle(parseBatchAck(chunk));
  }

  private settle(r: NftBatchResult): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(r);
    if (++this.batches >= (this.opts.maxBatches ?? 1_000)) this.replace();
  }

  /** Retires the running process (it exits at the end of its input) and starts the next one now. */
  private replace(): void {
    const old = this.child;
    this.child = undefined;
    old?.stdin.end();
    if (!this.closed) this.start();
  }

  private fail(error: string, child = this.child): void {
    if (child !== this.child) return;
    this.child?.kill();
    this.child = undefined;
    this.settle({ ok: false, error });
  }
}
