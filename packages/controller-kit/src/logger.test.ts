import assert from 'node:assert/strict';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('takes its level from LOG_LEVEL', () => {
    assert.equal(createLogger('t', { LOG_LEVEL: 'debug' }).level, 'debug');
    assert.equal(createLogger('t', {}).level, 'info');
  });

  it('rejects an unknown level by name', () => {
    assert.throws(() => createLogger('t', { LOG_LEVEL: 'verbose' }), /LOG_LEVEL=verbose/);
  });
});
