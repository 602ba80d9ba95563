import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { flushMicrotasks } from './clock.js';
import { serializeError, type Logger } from './logger.js';
import { exitOnSignal } from './shutdown.js';

function recordingLogger(lines: string[]): Logger {
  // errors as the real logger writes them (serializeError)
  const log = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj, (k, v: unknown) => (k === 'err' ? serializeError(v) : v))}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('exitOnSignal', () => {
  it('on the first signal runs every step once, in order, then exits 0', async () => {
    const signals = new EventEmitter();
    const ran: string[] = [];
    const exits: number[] = [];
    const lines: string[] = [];
    exitOnSignal({
      logger: recordingLogger(lines), message: 'stopping', fields: { cleanup: false }, signals, exit: (c) => exits.push(c),
      steps: [['a', async () => { await flushMicrotasks(); ran.push('a'); }], ['b', () => { ran.push('b'); }]],
    });
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    await flushMicrotasks();
    await flushMicrotasks();
    assert.deepEqual(ran, ['a', 'b']);
    assert.deepEqual(exits, [0]);
    assert.deepEqual(lines, ['info stopping {"signal":"SIGTERM","cleanup":false}']);
  });

  it('a failing step is logged, the rest still run, and the exit code is 1', async () => {
    const ran: string[] = [];
    const exits: number[] = [];
    const lines: string[] = [];
    const shutdown = exitOnSignal({
      logger: recordingLogger(lines), message: 'shutting down', signals: new EventEmitter(), exit: (c) => exits.push(c),
      steps: [['informers', () => { throw new Error('boom'); }], ['http', () => { ran.push('http'); }]],
    });
    await shutdown('SIGINT');
    assert.deepEqual(ran, ['http']);
    assert.deepEqual(exits, [1]);
    assert.match(lines[1]!, /^error shutdown step failed .*"step":"informers".*boom/);
  });
});
