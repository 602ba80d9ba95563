import assert from 'node:assert/strict';
import { computeDeliveries, renderRouterRoutes, renderSourceDestCheck } from './vpc-render.js';

describe('lab VPC fabric (cloud mode)', () => {
  const enis = [{ primary: '192.0.2.12', secondary: ['192.0.2.100'] }, { primary: '192.0.2.13', secondary: [] }];

  it('routes each secondary address via its ENI\'s primary, and only the differences', () => {
    const before = computeDeliveries(enis);
    assert.deepEqual([...before], [['192.0.2.100', '192.0.2.12']]);
    const after = computeDeliveries([{ primary: '192.0.2.12', secondary: [] }, { primary: '192.0.2.13', secondary: ['192.0.2.100', '192.0.2.101'] }]);
    assert.deepEqual(renderRouterRoutes(before, after, 'r'), [
      'route replace 192.0.2.100/32 via 192.0.2.13 dev r', 'route replace 192.0.2.101/32 via 192.0.2.13 dev r',
    ]);
    assert.deepEqual(renderRouterRoutes(after, new Map(), 'r'), ['route del 192.0.2.100/32', 'route del 192.0.2.101/32']);
    assert.deepEqual(renderRouterRoutes(after, after, 'r'), []);
  });

  it('an address on two ENIs (moto allows it) is delivered to one of them only', () => {
    const d = computeDeliveries([{ primary: '192.0.2.13', secondary: ['192.0.2.100'] }, { primary: '192.0.2.12', secondary: ['192.0.2.100'] }]);
    assert.deepEqual([...d], [['192.0.2.100', '192.0.2.12']]);
  });

  it('the LAN drops sources (and destinations) not on the port\'s ENI, in one transaction', () => {
    const text = renderSourceDestCheck('selabcd-vpc', new Map([['p2', enis[0]!], ['p3', enis[1]!]]));
    assert.equal(text, [
      'add table bridge selabcd-vpc',
      'delete table bridge selabcd-vpc',
      'table bridge selabcd-vpc {',
      '  set eni_p2 {', '    type ipv4_addr', '    elements = { 192.0.2.12, 192.0.2.100 }', '  }',
      '  set eni_p3 {', '    type ipv4_addr', '    elements = { 192.0.2.13 }', '  }',
      '  chain srcdst {',
      '    type filter hook forward priority -10; policy accept;',
      '    iifname "p2" ip saddr != @eni_p2 counter drop',
      '    oifname "p2" ip daddr != @eni_p2 counter drop',
      '    iifname "p3" ip saddr != @eni_p3 counter drop',
      '    oifname "p3" ip daddr != @eni_p3 counter drop',
      '  }',
      '}',
      '',
    ].join('\n'));
  });
});
