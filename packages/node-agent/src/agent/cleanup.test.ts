import assert from 'node:assert/strict';
import { devicesWithOurAddresses } from './cleanup.js';
import { uplinkHolding } from './startup.js';

const host = [
  { dev: 'lo', ip: '127.0.0.1', label: 'lo' },
  { dev: 'eth0', ip: '192.0.2.11', label: 'eth0' },
  { dev: 'eth0', ip: '192.0.2.102', label: 'eth0:seg' },
  { dev: 'eth0', ip: '192.0.2.103', label: 'eth0:seg' },
  { dev: 'enp175s0f0np0', ip: '198.51.100.7', label: 'enp175s0f0n:seg' },
  { dev: 'eth1', ip: '203.0.113.5', label: 'eth0:seg' }, // someone else's label on another device
  { dev: 'eth2', ip: '203.0.113.9' },
];

describe('node addresses (cleanup, uplink)', () => {
  it('cleanup visits each interface carrying an address labelled as ours, once', () => {
    assert.deepEqual(devicesWithOurAddresses(host), ['eth0', 'enp175s0f0np0']);
    assert.deepEqual(devicesWithOurAddresses([]), []);
    // IPv6 addresses carry no label: an IPv6-only node's egress /128s (nodad) name its uplink
    assert.deepEqual(devicesWithOurAddresses([{ dev: 'eth0', ip: '2001:db8::11' }, { dev: 'eth0', ip: '2001:db8::100', ours: true }]), ['eth0']);
    assert.deepEqual(devicesWithOurAddresses([{ dev: 'eth0', ip: '2001:db8::11' }]), []);
  });
  it('the uplink is the interface holding the Node\'s InternalIP', () => {
    assert.equal(uplinkHolding(host, '192.0.2.11'), 'eth0');
    assert.equal(uplinkHolding(host, '192.0.2.99'), undefined);
  });
});
