// Where audit lines go: the agent's stdout (the cluster's log pipeline) or a file, appended to.
import { closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditSink {
  /** Writes one whole line (ending in \n). Never throws: a lost line is reported through onError. */
  write(line: string): void;
  close(): void;
}

export class StdoutAuditSink implements AuditSink {
  write(line: string): void {
    process.stdout.write(line);
  }
  close(): void { /* stdout stays */ }
}

/**
 * Appends to a file and survives rotation: at most every `checkMs` (on a write) it compares the open
 * file with what the path names now, and reopens when the file was moved or deleted (logrotate's
 * create mode; copytruncate needs nothing, the file is opened O_APPEND).
 */
export class FileAuditSink implements AuditSink {
  private fd: number | undefined;
  private checkedAt = 0;

  constructor(private readonly path: string, private readonly o: { now: () => number; onError: (e: Error) => void; checkMs?: number }) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', 0o640); // fails at start, loudly, when the path is unusable
  }

  write(line: string): void {
    try {
      if (this.fd === undefined || this.rotated()) this.reopen();
      writeSync(this.fd!, line);
    } catch (e) {
      this.o.onError(e as Error);
      this.closeFd(); // the next write opens the path again
    }
  }

  close(): void {
    this.closeFd();
  }

  private rotated(): boolean {
    const now = this.o.now();
    if (now - this.checkedAt < (this.o.checkMs ?? 1_000)) return false;
    this.checkedAt = now;
    let onDisk;
    try { onDisk = statSync(this.path); } catch { return true; }
    const open = fstatSync(this.fd!);
    return onDisk.ino !== open.ino || onDisk.dev !== open.dev;
  }

  private reopen(): void {
    this.closeFd();
    this.fd = openSync(this.path, 'a', 0o640);
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try { closeSync(this.fd); } catch { /* already gone */ }
    this.fd = undefined;
  }
}
