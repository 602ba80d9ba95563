import assert from 'node:assert/strict';
import type { BadObject, EgressIPPool } from '@static-egress/crds';
import { BadObjectReporter } from './bad-objects.js';

describe('BadObjectReporter', () => {
  it('warns when an object turns bad or its problem changes, once, and again after it was fixed', () => {
    const lines: string[] = [];
    const log = (obj: object, msg?: string) => lines.push(`${msg} ${JSON.stringify(obj)}`);
    const r = new BadObjectReporter({ debug: () => {}, info: () => {}, warn: log, error: log });
    const pool = (message: string): BadObject => ({ kind: 'EgressIPPool', key: 'lan', message, object: {} as EgressIPPool });
    r.report([pool('spec.cidrs[0]: bad')]);
    r.report([pool('spec.cidrs[0]: bad')]);
    r.report([pool('spec.cidrs[1]: bad')]);
    r.report([]);
    r.report([pool('spec.cidrs[1]: bad')]);
    assert.deepEqual(lines, [
      'ignoring invalid EgressIPPool {"kind":"EgressIPPool","object":"lan","err":"spec.cidrs[0]: bad"}',
      'ignoring invalid EgressIPPool {"kind":"EgressIPPool","object":"lan","err":"spec.cidrs[1]: bad"}',
      'ignoring invalid EgressIPPool {"kind":"EgressIPPool","object":"lan","err":"spec.cidrs[1]: bad"}',
    ]);
  });
});
