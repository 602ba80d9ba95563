// The IPv6-only lab (issue 11) and the overlay CNI's IPv6, as rendered (pure, no root): no IPv4
// address on any link, every address in 2001:db8::/32 (or link-local), every IPv6 address nodad,
// the nodes' host-gw or overlay routes to each other's pod /64s, and the LAN dropping pod frames of
// both families in the overlay variant.
import assert from 'node:assert/strict';
import { cidrContainsIP, ipFamilyOf, mustParseCIDR } from '@static-egress/crds';
import * as A from './addressing.js';
import { cniVtepIP6 } from './overlay6.js';
import * as V from './ipv6.js';
import { planTopology, renderPod, renderTopology, type Script, type TopologyPlan } from './topology.js';

const DOC = mustParseCIDR('2001:db8::/32');
const LINK_LOCAL = mustParseCIDR('fe80::/10');

function all(plan: TopologyPlan): Script[] {
  const pod = { index: 7, node: 2, ip: V.podIP6(2, 0), ip6: V.podIP6(2, 0) };
  return [...renderTopology(plan), ...V.renderIPv6Topology(plan), ...renderPod(plan, pod), ...V.renderPodIPv6(plan, pod)];
}
const linesOf = (scripts: Script[], ns: string, tool: 'ip' | 'bridge' = 'ip') =>
  scripts.filter((s) => s.ns === ns && s.tool === tool).flatMap((s) => (s.tool === 'ip' || s.tool === 'bridge' ? s.lines : []));
const textOf = (s: Script) => (s.tool === 'ip' || s.tool === 'bridge' ? s.lines.join('\n') : s.tool === 'sysctl' ? '' : s.text);

describe('lab topology, IPv6 only', () => {
  for (const overlay of [false, true]) {
    const plan = planTopology({ prefix: 'selv6on', nodes: 3, managers: 2, overlay, ipv4: false });
    const scripts = all(plan);

    it(`${overlay ? 'overlay' : 'host-gw'}: no IPv4 address anywhere; IPv6 only in 2001:db8::/32 or link-local, added nodad`, () => {
      for (const s of scripts.filter((x) => x.tool !== 'nft')) {
        assert.doesNotMatch(textOf(s), /\b\d+\.\d+\.\d+\.\d+\b/, `${s.ns} ${s.tool}: ${textOf(s)}`);
        assert.ok(s.ns.startsWith('selv6on-'), s.ns);
      }
      assert.ok(!scripts.some((s) => s.tool === 'iptables-restore'), 'no IPv4 masquerade');
      const ip6 = scripts.flatMap((s) => textOf(s).split(/\s+/)).map((t) => t.replace(/\/\d+$/, '')).filter((t) => ipFamilyOf(t) === 6);
      assert.ok(ip6.length > 20, String(ip6.length));
      for (const a of ip6) assert.ok(cidrContainsIP(DOC, a) || cidrContainsIP(LINK_LOCAL, a), `address outside the lab ranges: ${a}`);
      for (const l of scripts.flatMap((s) => (s.tool === 'ip' ? s.lines : [])).filter((x) => x.startsWith('addr add'))) assert.match(l, / nodad$/);
    });

    it(`${overlay ? 'overlay' : 'host-gw'}: each node reaches the router and the other nodes' pod /64s over IPv6`, () => {
      for (const i of [1, 2, 3]) {
        const lines = linesOf(scripts, plan.names.nodeNs(i));
        assert.ok(lines.includes(`addr add ${V.nodeIP6(i)}/64 dev ${plan.names.nodeUplink(i)} nodad`));
        assert.ok(lines.includes(`route add default via ${V.ROUTER_LAN_IP6}`));
        for (const k of [1, 2, 3].filter((x) => x !== i)) {
          const via = overlay ? `via ${cniVtepIP6(k)} dev ${plan.names.cniVxlan}` : `via ${V.nodeIP6(k)} dev ${plan.names.nodeUplink(i)}`;
          assert.ok(lines.includes(`route add ${V.podCidr6(k)} ${via}`), `${plan.names.nodeNs(i)}: ${V.podCidr6(k)} ${via}`);
        }
      }
      const mgr = linesOf(scripts, plan.names.managerNs(1));
      assert.ok(mgr.includes(`addr add ${V.managerIP6(1)}/64 dev ${plan.names.managerUplink(1)} nodad`));
    });

    if (overlay) {
      it('overlay: the CNI device rides the nodes\' IPv6 addresses, and the LAN drops pod frames of both families', () => {
        const n1 = linesOf(scripts, plan.names.nodeNs(1));
        assert.ok(n1.some((l) => l.startsWith(`link add ${plan.names.cniVxlan} `) && l.includes(`local ${V.nodeIP6(1)} `)), n1.join('\n'));
        assert.ok(n1.includes(`neigh add ${cniVtepIP6(2)} lladdr ${A.cniVtepMac(2)} dev ${plan.names.cniVxlan} nud permanent`));
        assert.deepEqual(linesOf(scripts, plan.names.nodeNs(1), 'bridge'),
          [2, 3].map((k) => `fdb append ${A.cniVtepMac(k)} dev ${plan.names.cniVxlan} dst ${V.nodeIP6(k)}`));
        const nft = scripts.filter((s) => s.tool === 'nft').map(textOf).join('\n');
        assert.match(nft, new RegExp(`ip6 saddr ${V.POD_CIDR6.replace(/[/]/g, '\\/')} counter drop`));
        assert.match(nft, /ip saddr 203\.0\.113\.0\/24 counter drop/);
      });
    }
  }

  it('dual-stack overlay: the one CNI device (IPv4 underlay) carries IPv6 too: routes and neighbours, no second device', () => {
    const plan = planTopology({ prefix: 'selv6ds', nodes: 2, managers: 1, overlay: true });
    const scripts = all(plan);
    const n1 = linesOf(scripts, plan.names.nodeNs(1));
    assert.equal(n1.filter((l) => l.startsWith(`link add ${plan.names.cniVxlan} `)).length, 1);
    assert.ok(n1.some((l) => l.includes(`local ${A.nodeIP(1)} `)));
    assert.ok(n1.includes(`route add ${V.podCidr6(2)} via ${cniVtepIP6(2)} dev ${plan.names.cniVxlan}`));
    assert.ok(n1.includes(`route add ${A.podCidr(2)} via ${A.cniVtepIP(2)} dev ${plan.names.cniVxlan} onlink`));
  });
});
