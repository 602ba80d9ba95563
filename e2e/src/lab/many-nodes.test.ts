// The lab beyond 6 nodes (issue 16 §4, the perf-scale profile): an IPv6-only lab takes up to
// MAX_NODES_IPV6_ONLY nodes — every node address, pod /64, VTEP MAC and link name distinct and inside
// the documentation ranges, none inside the IPv6 egress pool — while a lab with IPv4 keeps its limit
// of 6 (node N's pod /27 is 203.0.113.(32·N)) and says so. Pure (rendered scripts only).
import assert from 'node:assert/strict';
import { cidrContainsIP, mustParseCIDR } from '@static-egress/crds';
import * as A from './addressing.js';
import * as V from './ipv6.js';
import { planTopology, range, renderPod, renderTopology, type Script } from './topology.js';

const DOC = mustParseCIDR('2001:db8::/32');
const POOL6 = mustParseCIDR(V.EGRESS_POOL_CIDR6);
const ipLines = (scripts: Script[]): string[] => scripts.flatMap((s) => (s.tool === 'ip' ? s.lines : []));

describe('lab topology beyond 6 nodes (issue 16 §4)', () => {
  it('an IPv6-only lab of 24 nodes: distinct node addresses, pod /64s and MACs, all documentation, none in the egress pool', () => {
    const plan = planTopology({ prefix: 'selcmn1', nodes: 24, managers: 2, overlay: false, ipv4: false });
    const nodes = range(24);
    const addrs = [...nodes.map(V.nodeIP6), ...range(2).map(V.managerIP6), V.ROUTER_LAN_IP6];
    assert.equal(new Set(addrs).size, addrs.length, addrs.join(' '));
    for (const a of addrs) {
      assert.ok(cidrContainsIP(DOC, a), a);
      assert.ok(!cidrContainsIP(POOL6, a), `${a} inside the egress pool ${V.EGRESS_POOL_CIDR6}`);
    }
    assert.equal(new Set(nodes.map(V.podCidr6)).size, 24);
    assert.ok(!nodes.map(V.podCidr6).includes('2001:db8:0:70ff::/64'), 'no pod /64 on the service range');
    assert.equal(new Set(nodes.map(A.cniVtepMac)).size, 24);
    const scripts = [...renderTopology(plan), ...V.renderIPv6Topology(plan)];
    const n24 = ipLines(scripts.filter((s) => s.ns === plan.names.nodeNs(24)));
    assert.ok(n24.includes(`addr add ${V.nodeIP6(24)}/64 dev ${plan.names.nodeUplink(24)} nodad`), n24.join('\n'));
    assert.equal(n24.filter((l) => l.startsWith('route add 2001:db8:0:70')).length, 23, 'a host-gw route to every other node');
    // 10 pods per node: the 240th pod's links fit the kernel's 15 characters (labNames refuses otherwise)
    const pod = { index: 240, node: 24, ip: V.podIP6(24, 9), ip6: V.podIP6(24, 9) };
    assert.ok([...renderPod(plan, pod), ...V.renderPodIPv6(plan, pod)].length > 0);
  });

  it('the IPv6-only limit is MAX_NODES_IPV6_ONLY', () => {
    assert.doesNotThrow(() => planTopology({ prefix: 'selcmn2', nodes: A.MAX_NODES_IPV6_ONLY, managers: 2, overlay: true, ipv4: false }));
    assert.throws(() => planTopology({ prefix: 'selcmn2', nodes: A.MAX_NODES_IPV6_ONLY + 1, managers: 2, overlay: false, ipv4: false }),
      new RegExp(`nodes must be 1\\.\\.${A.MAX_NODES_IPV6_ONLY} in an IPv6-only lab, got ${A.MAX_NODES_IPV6_ONLY + 1}`));
  });

  it('a lab with IPv4 (IPv4-only or dual stack) keeps 6 nodes and names the limit and the way past it', () => {
    for (const ipv4 of [undefined, true]) {
      assert.doesNotThrow(() => planTopology({ prefix: 'selcmn3', nodes: A.MAX_NODES, managers: 2, overlay: false, ...(ipv4 ? { ipv4 } : {}) }));
      assert.throws(() => planTopology({ prefix: 'selcmn3', nodes: 7, managers: 2, overlay: false, ...(ipv4 ? { ipv4 } : {}) }),
        /nodes must be 1\.\.6 in a lab with IPv4 \(node N's pod \/27 is 203\.0\.113\.\(32·N\).*got 7; an IPv6-only lab \(--ip-families IPv6\) takes up to 64/);
    }
    assert.throws(() => planTopology({ prefix: 'selcmn3', nodes: 0, managers: 2, overlay: false }), /nodes must be 1\.\.6/);
    assert.throws(() => planTopology({ prefix: 'selcmn3', nodes: 2.5, managers: 2, overlay: false }), /got 2\.5/);
  });
});
