import assert from 'node:assert/strict';
import { countLogSigns } from './log-signs.js';

describe('countLogSigns', () => {
  it('counts each sign once per line it appears in', () => {
    const text = [
      '{"msg":"stopped leading","reason":"renew deadline passed"}',
      '{"err":{"message":"lease request timed out after 2000ms"},"msg":"lease attempt failed"}',
      '{"msg":"could not confirm this node\'s egress IPs with the API server"}',
      '{"msg":"started leading"}',
      '{"msg":"stopped leading"}',
    ].join('\n');
    assert.deepEqual(countLogSigns(text), { lostLeaderships: 2, leaseTimeouts: 1, confirmFailures: 1, fenced: 0, unhealthyVerdicts: 0 });
  });
});
