import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { nodeAddressesOf } from './convert.js';

describe('nodeAddressesOf', () => {
  it('probes the first IPv4 InternalIP and counts every address of both families as the node\'s', () => {
    const node: V1Node = {
      metadata: { name: 'n1' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '2001:db8::1' },
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '192.0.2.11' },
          { type: 'ExternalIP', address: '198.51.100.50' },
        ],
      },
    };
    assert.deepEqual(nodeAddressesOf(node), {
      internalIP: '192.0.2.11', internalIPv6: '2001:db8::1', addresses: ['2001:db8::1', '192.0.2.11', '198.51.100.50'],
    });
  });
  it('probes an IPv6-only node on its IPv6 InternalIP; addresses are canonical (issue 11)', () => {
    const node: V1Node = { status: { addresses: [{ type: 'InternalIP', address: '2001:DB8:0::0a' }, { type: 'ExternalIP', address: '2001:db8:1::5' }] } };
    assert.deepEqual(nodeAddressesOf(node), { internalIP: '2001:db8::a', internalIPv6: '2001:db8::a', addresses: ['2001:db8::a', '2001:db8:1::5'] });
  });
  it('has no internal IP for a node without an InternalIP', () => {
    assert.deepEqual(nodeAddressesOf({ status: { addresses: [{ type: 'ExternalIP', address: '198.51.100.50' }] } }), { addresses: ['198.51.100.50'] });
    assert.deepEqual(nodeAddressesOf(undefined), { addresses: [] });
  });
});
