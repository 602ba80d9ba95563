import assert from 'node:assert/strict';
import { FlagError, addrFlag, durationFlag, intFlag, parseDuration, parseFlags, parseOrExit } from './flags.js';

describe('parseDuration', () => {
  it('parses ms, s, m, h, fractions and sums', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('3s'), 3000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('0s'), 0);
  });

  for (const bad of ['', '3', 's', '3 s', '-1s', '1sec', '1.s', '3s junk']) {
    it(`rejects ${JSON.stringify(bad)} with a message naming the flag`, () => {
      assert.throws(() => parseDuration(bad, '--retry-period'), /^Error: --retry-period: invalid duration/);
    });
  }
});

describe('parseFlags', () => {
  const spec = { 'retry-period': { type: 'string' }, cleanup: { type: 'boolean' } } as const;

  it('parses known flags', () => {
    const v = parseFlags(['--retry-period', '250ms', '--cleanup'], spec);
    assert.equal(v['retry-period'], '250ms');
    assert.equal(v.cleanup, true);
    assert.equal(durationFlag(v, 'retry-period', '500ms'), 250);
    assert.equal(durationFlag({}, 'retry-period', '500ms'), 500);
  });

  it('names the unknown or bad flag', () => {
    assert.throws(() => parseFlags(['--nope'], spec), (e: Error) => e instanceof FlagError && /--nope/.test(e.message));
    assert.throws(() => durationFlag({ 'retry-period': 'soon' }, 'retry-period', '1s'), /--retry-period: invalid duration "soon"/);
  });
});

describe('intFlag and addrFlag', () => {
  it('parse or fall back', () => {
    assert.equal(intFlag({}, 'n', 3, 1, 9), 3);
    assert.equal(intFlag({ n: '7' }, 'n', 3, 1, 9), 7);
    assert.deepEqual(addrFlag({}, 'http-addr', '0.0.0.0:9310'), { host: '0.0.0.0', port: 9310 });
    assert.deepEqual(addrFlag({ 'http-addr': '[::1]:80' }, 'http-addr', 'x'), { host: '::1', port: 80 });
  });
  it('reject bad values naming the flag', () => {
    for (const raw of ['0', '10', '1.5', 'x']) assert.throws(() => intFlag({ n: raw }, 'n', 3, 1, 9), (e: Error) => e instanceof FlagError && /--n:/.test(e.message));
    for (const raw of ['9310', ':9310', 'h:99999', 'h:p']) assert.throws(() => addrFlag({ a: raw }, 'a', 'x'), (e: Error) => e instanceof FlagError && /--a:/.test(e.message));
  });

  it('parseOrExit: a FlagError exits 2 naming the program; other errors propagate', () => {
    const exit = (code: number): never => { throw new Error(`exit ${code}`); };
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { written.push(chunk); return true; }) as typeof process.stderr.write;
    try {
      assert.equal(parseOrExit('prog', () => 7, exit), 7);
      assert.throws(() => parseOrExit('prog', () => parseFlags(['--nope'], {}), exit), /exit 2/);
      assert.throws(() => parseOrExit('prog', () => { throw new TypeError('bug'); }, exit), TypeError);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^prog: .*--nope/);
  });
});
