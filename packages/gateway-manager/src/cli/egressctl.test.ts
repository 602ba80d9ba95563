import assert from 'node:assert/strict';
import type { StaticEgressIP } from '@static-egress/crds';
import { renderExplain, renderStatusTable } from './egressctl.js';

const policy: StaticEgressIP = {
  metadata: { namespace: 'shop', name: 'db', generation: 2 },
  spec: { egressIPs: ['192.0.2.100', '192.0.2.101'] },
  status: {
    observedGeneration: 2,
    assignments: [{ egressIP: '192.0.2.100', node: 'gw-1' }],
    conditions: [{ type: 'Ready', status: 'False', reason: 'PartiallyAssigned', message: 'no healthy gateway node can hold 192.0.2.101', lastTransitionTime: '2025-01-01T00:00:00Z' }],
  },
};

describe('egressctl', () => {
  it('status lists every egress IP with its holder and Ready', () => {
    assert.equal(
      renderStatusTable([policy]),
      [
        'NAMESPACE  NAME  EGRESS IP    NODE    READY  REASON',
        'shop       db    192.0.2.100  gw-1    False  PartiallyAssigned',
        'shop       db    192.0.2.101  <none>  False  PartiallyAssigned',
      ].join('\n'),
    );
  });

  it('explain shows the conditions with their messages', () => {
    const text = renderExplain(policy);
    assert.match(text, /^shop\/db {2}\(generation 2, observed 2\)/);
    assert.match(text, /held: 192\.0\.2\.100 on gw-1/);
    assert.match(text, /Ready=False \(PartiallyAssigned, since 2025-01-01T00:00:00Z\)\n {2}no healthy gateway node can hold 192\.0\.2\.101/);
  });
});
