import assert from 'node:assert/strict';
import { renderUnsolicitedNA } from './na.js';

describe('unsolicited neighbour advertisement', () => {
  it('type 136, Override only, the target and our link-layer address option', () => {
    const hex = Buffer.from(renderUnsolicitedNA('2001:db8:0:2::102', '0e:5e:c0:00:02:0b')).toString('hex');
    assert.equal(hex, '88000000' + '20000000' + '20010db8000000020000000000000102' + '0201' + '0e5ec000020b');
  });
  it('refuses an IPv4 target and a bad MAC', () => {
    assert.throws(() => renderUnsolicitedNA('192.0.2.1', '0e:5e:c0:00:02:0b'), /not an IPv6 address/);
    assert.throws(() => renderUnsolicitedNA('2001:db8::1', '0e:5e:c0'), /not a MAC address/);
  });
});
