import assert from 'node:assert/strict';
import { computeNodeReport } from './node-report.js';

describe('computeNodeReport', () => {
  it('reports the addresses held and the redirects that lead somewhere; fail-closed ones are not programmed egress', () => {
    const director = [
      { egressIP: '192.0.2.100', podIPs: ['203.0.113.34'], route: { kind: 'direct', via: '192.0.2.100' } },
      { egressIP: '192.0.2.101', podIPs: ['203.0.113.35'], route: { kind: 'unreachable' } },
    ] as never;
    assert.deepEqual(computeNodeReport({ addresses: ['192.0.2.102'], director }, false), {
      gatewayIPs: ['192.0.2.102'],
      directed: [{ egressIP: '192.0.2.100', podIPs: ['203.0.113.34'] }],
      fenced: false,
      stopped: false,
    });
    assert.deepEqual(computeNodeReport({ addresses: [], director: [] }, true), { gatewayIPs: [], directed: [], fenced: true, stopped: false });
  });
});
