import assert from 'node:assert/strict';
import { findUplink } from './startup.js';

describe('findUplink', () => {
  const addrs = {
    4: [{ dev: 'eth0', ip: '192.0.2.11' }, { dev: 'lo', ip: '127.0.0.1' }],
    6: [{ dev: 'lo', ip: '::1' }, { dev: 'eth1', ip: '2001:db8:0:2::11' }],
  };
  it('finds the uplink by the Node\'s InternalIP of either family, asking only that family', async () => {
    const asked: number[] = [];
    const list = async (f: 4 | 6) => { asked.push(f); return addrs[f]; };
    assert.equal(await findUplink('192.0.2.11', list), 'eth0');
    assert.equal(await findUplink('2001:db8:0:2::11', list), 'eth1', 'an IPv6-only node needs no --uplink');
    assert.deepEqual(asked, [4, 6]);
    assert.equal(await findUplink('2001:db8:0:2::99', list), undefined);
  });
});
