import assert from 'node:assert/strict';
import { parseConfig } from './main.js';

describe('gateway-manager flags', () => {
  it('defaults follow CONTRACTS.md', () => {
    const c = parseConfig([], { POD_NAME: 'manager-0' });
    assert.equal(c.identity, 'manager-0');
    assert.equal(c.namespace, 'static-egress-system');
    assert.deepEqual([c.leaseDurationMs, c.renewDeadlineMs, c.retryPeriodMs], [3000, 2000, 500]);
    assert.deepEqual([c.probeIntervalMs, c.probeTimeoutMs, c.probeFailureThreshold], [20, 50, 4]);
    assert.equal(c.agentPort, 9310);
    assert.deepEqual([c.httpHost, c.httpPort], ['::', 9320], 'every family (issue 11)');
    assert.deepEqual([c.releaseGraceMs, c.agentRestartGraceMs], [2000, 10_000]);
    assert.equal(parseConfig(['--agent-restart-grace', '0s']).agentRestartGraceMs, 0, '0 turns the grace off');
  });

  it('bad flags name the flag', () => {
    assert.throws(() => parseConfig(['--probe-interval', '100']), /--probe-interval/);
    assert.throws(() => parseConfig(['--agent-port', '70000']), /--agent-port/);
    assert.throws(() => parseConfig(['--http-addr', 'nope']), /--http-addr/);
    assert.throws(() => parseConfig(['--lease-duration', '1s']), /--lease-duration/);
    assert.throws(() => parseConfig(['--frobnicate']), /frobnicate/);
    assert.throws(() => parseConfig(['--agent-restart-grace', 'soon']), /--agent-restart-grace/);
  });
});
