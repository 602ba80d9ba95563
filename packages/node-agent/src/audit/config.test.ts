import assert from 'node:assert/strict';
import { FlagError } from '@static-egress/controller-kit';
import { parseAgentConfig } from '../config.js';

const BASE = ['--node-name', 'n1', '--probe-key-file', '/k'];

describe('audit log flags', () => {
  it('off by default', () => {
    assert.equal(parseAgentConfig(BASE, {}).audit, undefined);
  });

  it('stdout or an absolute file, 100 lines a second unless told', () => {
    assert.deepEqual(parseAgentConfig([...BASE, '--audit-log', 'stdout'], {}).audit, { target: 'stdout', ratePerSec: 100 });
    assert.deepEqual(parseAgentConfig([...BASE, '--audit-log=/var/log/static-egress/audit.log', '--audit-log-rate=5000'], {}).audit,
      { target: '/var/log/static-egress/audit.log', ratePerSec: 5000 });
  });

  it('bad input says what is expected', () => {
    const cases: [string[], RegExp][] = [
      [['--audit-log', 'audit.log'], /--audit-log: expected stdout or an absolute file path, got "audit.log"/],
      [['--audit-log', '/var/log/'], /--audit-log: expected stdout or an absolute file path/],
      [['--audit-log', 'stdout', '--audit-log-rate', '0'], /--audit-log-rate: expected an integer from 1 to 1000000, got "0"/],
      [['--audit-log', 'stdout', '--audit-log-rate', '10/s'], /--audit-log-rate: expected an integer/],
      [['--audit-log-rate', '10'], /--audit-log-rate: only with --audit-log/],
    ];
    for (const [args, re] of cases) assert.throws(() => parseAgentConfig([...BASE, ...args], {}), (e: Error) => e instanceof FlagError && re.test(e.message), args.join(' '));
  });
});
