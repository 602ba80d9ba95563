import assert from 'node:assert/strict';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('takes its level from LOG_LEVEL', () => {
    assert.equal(createLogger('t', { LOG_LEVEL: 'debug' }).level, 'debug');
    assert.equal(createLogger('t', {}).level, 'info');
  });

  it('writes the level by name and errors as objects with type, code and stack', () => {
    const lines: string[] = [];
    const log = createLogger('t', {}, { write: (s: string) => { lines.push(s); } });
    const err = Object.assign(new Error('Forbidden: nope'), { code: 403 });
    log.warn({ err }, 'could not write');
    log.error({ err: 'plain text' }, 'odd');
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(a!['level'], 'warn');
    assert.deepEqual(Object.keys(a!['err'] as object).sort(), ['code', 'message', 'stack', 'type']);
    assert.match((a!['err'] as { stack: string }).stack, /Forbidden: nope\n\s+at /);
    assert.deepEqual(b!['err'], { type: 'string', message: 'plain text' });
    assert.equal(b!['level'], 'error');
  });

  it('rejects an unknown level by name', () => {
    assert.throws(() => createLogger('t', { LOG_LEVEL: 'verbose' }), /LOG_LEVEL=verbose/);
  });
});
