import assert from 'node:assert/strict';
import { computeEgressCounters } from './counters.js';

describe('computeEgressCounters', () => {
  it('sums per egress IP, fail-closed and leak-guard drops per policy from iptables-save -c', () => {
    const save = [
      '*mangle',
      ':SEGRESS-M-C0000267 - [0:0]',
      '[3:180] -A SEGRESS-M-C0000267 -d 198.51.100.20/32 -m comment --comment "failclosed:shop/db"',
      '[3:180] -A SEGRESS-M-C0000267 -d 198.51.100.20/32 -j MARK --set-xmark 0xe90000/0xff0000',
      'COMMIT',
      '*filter',
      ':SEGRESS-F-C0000266 - [0:0]',
      ':SEGRESS-L-AD9C1AFEAA - [0:0]',
      '[1:60] -A SEGRESS-F-C0000266 -m conntrack --ctstate INVALID -j DROP',
      '[10:1000] -A SEGRESS-F-C0000266 -j ACCEPT',
      '[9:900] -A SEGRESS-L-AD9C1AFEAA -d 198.51.100.7/32 -j RETURN',
      '[4:240] -A SEGRESS-L-AD9C1AFEAA -d 198.51.100.0/25 -m comment --comment "leakguard:shop/db" -j DROP',
      '[2:120] -A SEGRESS-L-AD9C1AFEAA -d 198.51.100.128/25 -m comment --comment "leakguard:shop/db" -j DROP',
      '[5:300] -A SEGRESS-FWD -m comment --comment "leakguard:shop/other" -j DROP', // not in a guard chain
      'COMMIT',
    ].join('\n');
    assert.deepEqual(computeEgressCounters(save, 'SEGRESS'), {
      perEgressIP: { '192.0.2.102': { packets: 10, bytes: 1000 } },
      failClosed: { 'shop/db': { packets: 3, bytes: 180 } },
      leakGuard: { 'shop/db': { packets: 6, bytes: 360 } },
    });
  });
});
