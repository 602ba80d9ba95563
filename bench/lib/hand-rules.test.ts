import assert from 'node:assert/strict';
import { renderHandDirector, renderHandGateway } from './hand-rules.js';

describe('hand-written minimal rules', () => {
  const o = { prefix: 'selab12', podIP: '203.0.113.36', dstCIDR: '198.51.100.0/24', egressIP: '192.0.2.150', uplink: 'selab12n1' };

  it('stays outside every range the agent owns', () => {
    const d = renderHandDirector(o);
    const all = d.iptables + d.ip.join('\n') + renderHandGateway(o);
    assert.doesNotMatch(all, /SEGRESS|segress/);
    for (const chain of all.matchAll(/^:(\S+)/gm)) assert.ok(chain[1]!.startsWith('selab12-'), chain[1]);
    assert.match(d.ip[0]!, /^rule add fwmark 0x100\/0x100 lookup 4000 priority 4000$/);
    assert.equal(Number(0x100) & 0x00ff0000, 0);
  });

  it('is the DESIGN §6 recipe: mark before routing, skip masquerade, route via the egress IP, SNAT on the gateway', () => {
    const d = renderHandDirector(o);
    assert.match(d.iptables, /\*mangle[\s\S]*-I PREROUTING 1 -j selab12-BMARK[\s\S]*-s 203\.0\.113\.36\/32 -d 198\.51\.100\.0\/24 -j MARK/);
    assert.match(d.iptables, /\*nat[\s\S]*-I POSTROUTING 1 -j selab12-BSKIP[\s\S]*--mark 0x100\/0x100 -j ACCEPT/);
    assert.equal(d.ip[1], 'route replace default via 192.0.2.150 dev selab12n1 onlink table 4000');
    assert.match(renderHandGateway(o), /-I POSTROUTING 1 -j selab12-BSNAT\n-A selab12-BSNAT -s 203\.0\.113\.36\/32 -d 198\.51\.100\.0\/24 -j SNAT --to-source 192\.0\.2\.150/);
  });
});
