// VXLAN mode in both families (issue 11): the IPv6 state's tunnel as golden text — over the IPv4
// underlay in a dual-stack cluster, over IPv6 in an IPv6-only one — and what keeps the two
// families' tunnels apart. Regenerate: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/render/vxlan.test.ts
import assert from 'node:assert/strict';
import { computeFamilyStates } from '../desired/family.js';
import { dualStackInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { tunnelNextHop, vtepMAC6 } from '../desired/underlay.js';
import { ipv6RenderConfig } from './family.js';
import { vtepMAC } from './names.js';
import { renderNetlinkIntents } from './netlink-text.js';
import { renderState } from './state.js';
import type { RenderConfig } from './types.js';
import { ipv6TunnelConfig, renderVxlan } from './vxlan.js';
import { goldenIn } from './golden-file.js';

const cfg: RenderConfig = RENDER_FIXTURE;
const cfg6 = ipv6RenderConfig(cfg);

const golden = goldenIn(import.meta.dirname);

const dual = () => dualStackInput({ mode: 'vxlan' });
/** The same cluster without IPv4: every Node's only InternalIP is its IPv6 one. */
const ipv6Only = () => {
  const d = dual();
  return { ...d, nodeIP: d.nodeIP6, nodes: d.nodes6 };
};

describe('render VXLAN, both families (golden)', () => {
  it('dual stack: the IPv6 state\'s own device, inner IPv6 over the IPv4 underlay', () => {
    const { v6 } = computeFamilyStates(dual());
    const r = renderState(v6!, cfg6);
    golden('vxlan-dual-stack.netlink6', renderNetlinkIntents(r));
    // the guard checks the inner packet's next hop, then clears our mark before the encapsulation
    golden('vxlan-dual-stack.guard6', r.guard!.text);
    assert.match(r.guard!.text, new RegExp(`nexthop != ${tunnelNextHop('192.0.2.12')} drop\\n.*meta mark set meta mark & 0xff00ffff\\n`));
    assert.deepEqual(r.vxlan.device, {
      name: 'segress.vx6', vni: 7448, port: 4799, local: '192.0.2.11', uplink: 'eth0', mac: vtepMAC6('192.0.2.11'), inner: 6,
    });
    assert.deepEqual(r.vxlan.neighbors, [{ ip: tunnelNextHop('192.0.2.12'), mac: vtepMAC6('192.0.2.12') }]);
    assert.deepEqual(r.vxlan.fdb, [{ mac: vtepMAC6('192.0.2.12'), dst: '192.0.2.12', via: 'eth0' }]);
    assert.ok(r.routes.some((x) => x.dev === 'segress.vx6' && x.gateway === tunnelNextHop('192.0.2.12') && x.onlink));
    assert.deepEqual([...r.iptables.mangle.get('SEGRESS-MSS')!], ['-A SEGRESS-MSS -o segress.vx6 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu']);
  });

  it('dual stack: the IPv4 state\'s device is as in an IPv4-only cluster, and the two differ in name, VNI and MAC', () => {
    const { v4, v6 } = computeFamilyStates(dual());
    const d4 = renderState(v4!, cfg).vxlan.device!;
    const d6 = renderState(v6!, cfg6).vxlan.device!;
    assert.deepEqual(d4, { name: 'segress.vx', vni: 7447, port: 4799, local: '192.0.2.11', uplink: 'eth0', mac: vtepMAC('192.0.2.11') });
    assert.notEqual(d4.name, d6.name);
    assert.notEqual(d4.vni, d6.vni, 'one VNI, port and underlay family twice is refused by the kernel');
    assert.notEqual(d4.mac, d6.mac);
  });

  it('IPv6-only: the tunnel over the IPv6 underlay; no IPv4 state, and an IPv4 state of such a node has no tunnel', () => {
    const states = computeFamilyStates(ipv6Only());
    assert.deepEqual(Object.keys(states), ['v6']);
    const r = renderState(states.v6!, cfg6);
    golden('vxlan-ipv6-only.netlink6', renderNetlinkIntents(r));
    assert.equal(r.vxlan.device!.local, '2001:db8:0:2::11');
    assert.deepEqual(r.vxlan.fdb, [{ mac: vtepMAC6('2001:db8:0:2::12'), dst: '2001:db8:0:2::12', via: 'eth0' }]);
    // the agent's (empty) IPv4 state of an IPv6-only node
    assert.deepEqual(renderVxlan({ ...states.v6!, family: undefined, nodeIP: '2001:db8:0:2::11' } as never, cfg), { device: null, neighbors: [], fdb: [] });
  });

  it('direct mode: no tunnel in either family; VTEP MACs are locally administered unicast and differ within a /64', () => {
    const { v4, v6 } = computeFamilyStates(dualStackInput());
    assert.equal(renderState(v4!, cfg).vxlan.device, null);
    assert.equal(renderState(v6!, cfg6).vxlan.device, null);
    const macs = ['2001:db8:0:2::11', '2001:db8:0:2::12', '2001:db8:0:2::13', '192.0.2.11'].map(vtepMAC6);
    assert.equal(new Set(macs).size, macs.length);
    for (const m of macs) assert.match(m, /^0e(:[0-9a-f]{2}){5}$/);
    assert.deepEqual(ipv6TunnelConfig({ vxlanDevice: 'segress.vx', vxlanVNI: 16_777_215 }), { vxlanDevice: 'segress.vx6', vxlanVNI: 16_777_214 });
  });
});
