import assert from 'node:assert/strict';
import { addressLabel } from './linux.js';

describe('addressLabel', () => {
  it('labels short uplinks <uplink>:seg', () => {
    assert.equal(addressLabel('eth0'), 'eth0:seg');
  });
  it('always fits the 15-character label limit, even for long NIC names', () => {
    for (const dev of ['enp175s0f0np0', 'enp129s0f1np1', 'abcdefghijklmno']) {
      const label = addressLabel(dev);
      assert.ok(label.length <= 15, label);
      assert.ok(label.endsWith(':seg'));
    }
    assert.notEqual(addressLabel('enp175s0f0np0'), addressLabel('eth0'));
  });
});
