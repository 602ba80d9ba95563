// FileAuditSink on a real file in a temporary directory: appends, survives rotation by rename and
// by deletion, reports a failing write and recovers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditSink } from './sink.js';

describe('FileAuditSink', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'se-audit-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends to what is there, creating the directory', () => {
    const path = join(dir, 'sub', 'audit.log');
    const errors: Error[] = [];
    const s1 = new FileAuditSink(path, { now: () => 0, onError: (e) => errors.push(e) });
    s1.write('a\n');
    s1.close();
    const s2 = new FileAuditSink(path, { now: () => 0, onError: (e) => errors.push(e) });
    s2.write('b\n');
    s2.close();
    assert.equal(readFileSync(path, 'utf8'), 'a\nb\n');
    assert.deepEqual(errors, []);
  });

  it('reopens the path after a rename (logrotate) or a delete, at the next write past the check period', () => {
    const path = join(dir, 'audit.log');
    let now = 0;
    const s = new FileAuditSink(path, { now: () => now, onError: assert.fail, checkMs: 1_000 });
    s.write('1\n');
    renameSync(path, `${path}.1`);
    now = 500;
    s.write('2\n'); // within the check period: still the old file
    now = 1_500;
    s.write('3\n');
    assert.equal(readFileSync(`${path}.1`, 'utf8'), '1\n2\n');
    assert.equal(readFileSync(path, 'utf8'), '3\n');
    unlinkSync(path);
    now = 3_000;
    s.write('4\n');
    assert.equal(readFileSync(path, 'utf8'), '4\n');
    s.close();
  });

  it('a path that cannot be opened fails at start; a write that fails is reported, the next one retries', () => {
    assert.throws(() => new FileAuditSink(join(dir, 'bad\0name'), { now: () => 0, onError: assert.fail }));
    const path = join(dir, 'audit.log');
    let now = 0;
    const errors: Error[] = [];
    const s = new FileAuditSink(path, { now: () => now, onError: (e) => errors.push(e) });
    unlinkSync(path);
    mkdirSync(path); // a directory where the file was: opening it for append fails (root ignores file modes)
    now = 2_000;
    s.write('lost\n');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /EISDIR/);
    rmSync(path, { recursive: true });
    s.write('back\n');
    assert.equal(readFileSync(path, 'utf8'), 'back\n');
    s.close();
  });
});
