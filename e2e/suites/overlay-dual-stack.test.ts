// The overlay suite's core (issue 4 scenario j) in the dual-stack lab, for both families (issue 11):
// pods sit behind the CNI's own VXLAN and the LAN drops every frame from or to a pod address of
// either family, so the agents run in vxlan mode — IPv4 through `segress.vx`, IPv6 through the IPv6
// state's own `segress.vx6` over the same IPv4 underlay. (j/a) selected pods leave with the policy's
// IPv4 and IPv6 egress IPs, to its destinations only; (j/d) the gateways' loss moves both IPs and
// neither family ever leaves with a node address. Nodes 2–4 are gateways.
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { tryInNetns } from '../src/lab/exec.js';
import { ECHO_IP6, ECHO_IP6_2, EGRESS_POOL_CIDR6, nodeIP6 } from '../src/lab/ipv6.js';
import {
  ADMITTED_LABEL, EGRESS_IP, POOL_NAME, addr as A, nodeIPs, sawAny, useLab, type LabPod,
} from '../src/scenario.js';
import { loseBothGateways } from '../src/dual-failover.js';

const EGRESS_IP6 = '2001:db8:0:2::101';
const POLICY = { namespace: 'shop', name: 'frontend-egress' };

describe('overlay CNI, vxlan mode, dual stack (j, issue 11)', function () {
  const h = useLab({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4], overlay: true, ipFamilies: ['IPv4', 'IPv6'] });
  let fe1: LabPod;

  it('(j/a) selected pods leave with the IPv4 and the IPv6 egress IP, to the destinations only', async () => {
    const lab = h.lab;
    await lab.applyPool({
      name: POOL_NAME,
      cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }, { cidr: EGRESS_POOL_CIDR6 }],
      namespaceSelector: { matchLabels: ADMITTED_LABEL }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
    });
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    fe1 = await lab.addPod({ namespace: 'shop', name: 'frontend-1', node: 1, labels: { app: 'frontend' } });
    const fe2 = await lab.addPod({ namespace: 'shop', name: 'frontend-2', node: 3, labels: { app: 'frontend' } });
    const other = await lab.addPod({ namespace: 'shop', name: 'other-1', node: 1, labels: { app: 'other' } });
    await lab.applyPolicy({
      ...POLICY, egressIPs: [EGRESS_IP, EGRESS_IP6], podSelector: { matchLabels: { app: 'frontend' } },
      destinationCIDRs: [`${A.ECHO_IP}/32`, `${ECHO_IP6}/128`],
    });
    const assigned = await lab.waitAssigned(POLICY.namespace, POLICY.name, 90_000);
    console.log(`      ${EGRESS_IP} on ${assigned.get(EGRESS_IP)}, ${EGRESS_IP6} on ${assigned.get(EGRESS_IP6)}`);
    for (const pod of [fe1, fe2]) {
      await lab.waitSourceIP(pod, EGRESS_IP);
      await lab.waitSourceIP(pod, EGRESS_IP6, { dst: ECHO_IP6 });
    }
    assert.equal(await lab.sourceIPSeen(fe1, A.ECHO_IP_2), A.nodeIP(1), 'IPv4 destination outside destinationCIDRs');
    assert.equal(await lab.sourceIPSeen(fe1, ECHO_IP6_2), nodeIP6(1), 'IPv6 destination outside destinationCIDRs');
    assert.equal(await lab.sourceIPSeen(other), A.nodeIP(1), 'a pod the policy does not select (IPv4)');
    assert.equal(await lab.sourceIPSeen(other, ECHO_IP6), nodeIP6(1), 'a pod the policy does not select (IPv6)');
    // the IPv6 tunnel rides the IPv4 underlay, beside the IPv4 one
    const r = await tryInNetns(lab.names.nodeNs(1), 'ip', ['-d', 'link', 'show', 'segress.vx6']);
    assert.match(r.out, new RegExp(`local ${A.nodeIP(1).replace(/\./g, '\\.')} `), r.out);
  });

  it('(j/d) gateways lost: both egress IPs from other nodes over the tunnels, neither family with a node address', async () => {
    const lab = h.lab;
    const assigned = await lab.waitAssigned(POLICY.namespace, POLICY.name);
    const since = Date.now();
    const { r4, r6, movedAt } = await loseBothGateways(lab, fe1, { v4: EGRESS_IP, v6: EGRESS_IP6 }, assigned, 'FAILOVER GAP (j/d)');
    assert.deepEqual(sawAny(lab, since, [...nodeIPs(lab), ...lab.nodeIndexes.map(nodeIP6)]), [], 'the external server saw a node address');
    for (const [family, r, ip] of [['IPv4', r4, EGRESS_IP], ['IPv6', r6, EGRESS_IP6]] as const) {
      assert.equal(r.wrongReplies, 0, `${family} replies with another source: ${JSON.stringify(r.wrongSources)}`);
      assert.ok(r.record.replies.some(([, t, src]) => t > movedAt && src === ip), `${family} traffic resumed after the cut`);
    }
    assert.equal(await lab.sourceIPSeen(fe1), EGRESS_IP);
    assert.equal(await lab.sourceIPSeen(fe1, ECHO_IP6), EGRESS_IP6);
  });
});
