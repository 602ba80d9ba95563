import assert from 'node:assert/strict';
import { renderHandDirector, renderHandGateway, renderHandVxlanDevice, renderHandVxlanDirector } from './hand-rules.js';

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

  it('IPv6 (issue 11 §5): the same recipe for ip6tables-restore and ip -6, a /128 source match', () => {
    const o6 = { prefix: 'selab12', podIP: '2001:db8:0:7001::4', dstCIDR: '2001:db8:0:51::/64', egressIP: '2001:db8:0:2::250', uplink: 'selab12n1' };
    const d = renderHandDirector(o6);
    assert.match(d.iptables, /-A selab12-BMARK -s 2001:db8:0:7001::4\/128 -d 2001:db8:0:51::\/64 -j MARK --set-xmark 0x100\/0x100/);
    assert.deepEqual(d.ip, ['rule add fwmark 0x100/0x100 lookup 4000 priority 4000', 'route replace default via 2001:db8:0:2::250 dev selab12n1 onlink table 4000']);
    assert.match(renderHandGateway(o6), /-A selab12-BSNAT -s 2001:db8:0:7001::4\/128 -d 2001:db8:0:51::\/64 -j SNAT --to-source 2001:db8:0:2::250/);
  });

  it('VXLAN mode: own device, route via the gateway node over it, fdb via the uplink, MSS clamp', () => {
    const dev = renderHandVxlanDevice({ prefix: 'selab12', localIP: '192.0.2.11', uplink: 'selab12n1', mac: '0e:b0:00:00:00:01', mtu: 1450 });
    assert.equal(dev.ip[0], 'link add selab12hv address 0e:b0:00:00:00:01 type vxlan id 4242 dstport 4798 local 192.0.2.11 dev selab12n1 nolearning');
    assert.equal(dev.ip[3], 'address add 192.0.2.11/32 dev selab12hv noprefixroute');
    assert.deepEqual(dev.sysctl, { 'net.ipv4.conf.selab12hv.rp_filter': '2' });
    const d = renderHandVxlanDirector({ prefix: 'selab12', podIP: o.podIP, dstCIDR: o.dstCIDR, uplink: 'selab12n1',
      gatewayIP: '192.0.2.12', gatewayMac: '0e:b0:00:00:00:02' });
    assert.deepEqual(d.ip, [
      'rule add fwmark 0x100/0x100 lookup 4000 priority 4000',
      'neigh replace 192.0.2.12 lladdr 0e:b0:00:00:00:02 dev selab12hv nud permanent',
      'route replace default via 192.0.2.12 dev selab12hv onlink table 4000',
    ]);
    assert.deepEqual(d.bridge, ['fdb append 0e:b0:00:00:00:02 dev selab12hv dst 192.0.2.12 via selab12n1']);
    assert.match(d.iptables, /^\*mangle\n:selab12-BMSS - \[0:0\]\n:selab12-BMARK - \[0:0\]\n/);
    assert.match(d.iptables, /-I FORWARD 1 -j selab12-BMSS\n-A selab12-BMSS -o selab12hv -p tcp .*TCPMSS --clamp-mss-to-pmtu\nCOMMIT\n\*nat/);
    assert.match(d.iptables, /-s 203\.0\.113\.36\/32 -d 198\.51\.100\.0\/24 -j MARK/);
    assert.doesNotMatch(d.iptables + d.ip.join('') + dev.ip.join(''), /SEGRESS|segress/);
  });
});
