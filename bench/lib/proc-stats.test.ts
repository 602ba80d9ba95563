import assert from 'node:assert/strict';
import { parseProcStat, parseVmRSS } from './proc-stats.js';

describe('proc-stats', () => {
  it('reads utime + stime and cutime + cstime, whatever the command name holds', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = '4242 (node (agent) x) S 1 4242 4242 0 -1 4194560 9000 0 3 0 1234 567 89 10 20 0 11 0 300 1000000 25000';
    assert.deepEqual(parseProcStat(line), { self: 1234 + 567, children: 89 + 10 });
    assert.throws(() => parseProcStat('garbage'), /not a \/proc\/PID\/stat line/);
    assert.throws(() => parseProcStat('1 (x) S 1 2'), /field 14 missing/);
  });

  it('reads VmRSS in MiB, 0 when absent', () => {
    assert.equal(parseVmRSS('Name:\tnode\nVmRSS:\t  102400 kB\nThreads: 11\n'), 100);
    assert.equal(parseVmRSS('Name:\tnode\nState:\tZ (zombie)\n'), 0);
  });
});
