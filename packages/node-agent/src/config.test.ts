import assert from 'node:assert/strict';
import { FlagError } from '@static-egress/controller-kit';
import { parseAgentConfig } from './config.js';

describe('parseAgentConfig', () => {
  it('applies the documented defaults', () => {
    const c = parseAgentConfig(['--probe-key-file', '/k'], { NODE_NAME: 'n1' });
    assert.equal(c.nodeName, 'n1');
    assert.equal(c.mode, 'direct');
    assert.equal(c.httpPort, 9310);
    assert.equal(c.resyncIntervalMs, 10_000);
    assert.equal(c.fenceAfterMs, 1000);
    assert.equal(c.leaseLateToleranceMs, 50);
    assert.equal(c.leaseMs, 250);
    assert.throws(() => parseAgentConfig(['--probe-key-file', '/k', '--lease', '2s'], { NODE_NAME: 'n1' }), /--lease: .* at most --fence-after/);
    assert.equal(c.restartLeaseMs, 10_000);
    assert.equal(c.probeKeyFile, '/k');
    assert.deepEqual(c.ranges, { markMask: 0xff0000, tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5999 });
    assert.equal(c.chainPrefix, 'SEGRESS');
    assert.deepEqual([c.httpHost, c.httpPort], ['::', 9310], 'every family: an IPv6-only node is probed over IPv6 (issue 11)');
  });
  it('parses every flag', () => {
    const c = parseAgentConfig(['--node-name', 'n2', '--mode', 'vxlan', '--uplink', 'eth1', '--cluster-cidrs', '203.0.113.0/24, 203.0.113.224/27',
      '--http-addr', '127.0.0.1:9999', '--resync-interval', '500ms', '--fence-after', '1s', '--fwmark', '0x0f00', '--table-range', '300-310',
      '--rule-priority', '100-120', '--vxlan-vni', '9', '--vxlan-port', '4789', '--cleanup-on-exit', '--chain-prefix', 'SE2', '--ipset-prefix', 'se2',
      '--probe-key-file', '/k', '--lease-late-tolerance', '50ms', '--restart-lease', '5s']);
    assert.equal(c.leaseLateToleranceMs, 50);
    assert.equal(c.restartLeaseMs, 5000);
    assert.equal(c.mode, 'vxlan');
    assert.deepEqual(c.clusterCIDRs, ['203.0.113.0/24', '203.0.113.224/27']);
    assert.equal(c.httpHost, '127.0.0.1');
    assert.equal(c.ranges.markMask, 0xf00);
    assert.equal(c.cleanupOnExit, true);
  });
  it('rejects bad flags naming the flag', () => {
    for (const [argv, flag] of [[['--mode', 'x'], '--mode'], [['--fwmark', '0x101'], '--fwmark'], [['--cluster-cidrs', '1.2.3/4'], '--cluster-cidrs'], [['--cluster-cidrs', '203.0.113.7/24'], 'host bits'], [['--cluster-cidrs', '2001:db8:0:7000::1/56'], 'host bits'],
      [['--http-addr', '9310'], '--http-addr'], [['--vxlan-port', '70000'], '--vxlan-port'],
      [['--table-range', '9-1'], '--table-range'], [['--fence-after', '3'], '--fence-after'], [['--bogus'], 'bogus']] as const) {
      assert.throws(() => parseAgentConfig([...argv, '--probe-key-file', '/k'], { NODE_NAME: 'n' }), (e: Error) => e instanceof FlagError && e.message.includes(flag));
    }
    assert.throws(() => parseAgentConfig(['--probe-key-file', '/k'], {}), /--node-name/);
    assert.throws(() => parseAgentConfig([], { NODE_NAME: 'n' }), /--probe-key-file: required/);
    assert.equal(parseAgentConfig(['--cleanup'], {}).cleanup, true, '--cleanup needs no key');
  });
});
