// The overlay-CNI variant (issue 4, scenario j): pods sit behind the CNI's own VXLAN and the LAN drops
// every frame to or from a pod address, so the agents run in vxlan mode and carry selected traffic to
// the gateway over the product's tunnel. Scenario (a) and (d) again in that world.
import assert from 'node:assert/strict';
import {
  ADMITTED_LABEL, EGRESS_IP, addr as A, applyStandardPool, loseGatewayUnderProbe, nodeIPs, sawAny, useLab,
  type LabPod,
} from '../src/scenario.js';

describe('overlay CNI, vxlan mode (j)', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], overlay: true });
  let fe1: LabPod;

  it('(j/a) pods behind a Service leave with the egress IP, to the destination CIDR only', async () => {
    const lab = h.lab;
    await applyStandardPool(lab);
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    fe1 = await lab.addPod({ namespace: 'shop', name: 'frontend-1', node: 1, labels: { app: 'frontend' } });
    const fe2 = await lab.addPod({ namespace: 'shop', name: 'frontend-2', node: 3, labels: { app: 'frontend' } });
    const other = await lab.addPod({ namespace: 'shop', name: 'other-1', node: 1, labels: { app: 'other' } });
    await lab.addService('shop', 'frontend', { app: 'frontend' });
    await lab.applyPolicy({
      namespace: 'shop', name: 'frontend-egress', egressIPs: [EGRESS_IP], serviceName: 'frontend',
      destinationCIDRs: [`${A.ECHO_IP}/32`],
    });
    const assigned = await lab.waitAssigned('shop', 'frontend-egress', 90_000);
    console.log(`      ${EGRESS_IP} assigned to ${assigned.get(EGRESS_IP)}`);
    await lab.waitSourceIP(fe1, EGRESS_IP);
    await lab.waitSourceIP(fe2, EGRESS_IP);
    assert.equal(await lab.sourceIPSeen(fe1, A.ECHO_IP_2), A.nodeIP(1), 'destination outside destinationCIDRs');
    assert.equal(await lab.sourceIPSeen(other), A.nodeIP(1), 'a pod the Service does not select');
  });

  it('(j/d) gateway node lost: same egress IP from another node over the tunnel, never the node IP', async () => {
    const lab = h.lab;
    const { since, movedAt, report: r } = await loseGatewayUnderProbe(lab, fe1, { namespace: 'shop', name: 'frontend-egress' },
      EGRESS_IP, { mode: 'udp', intervalMs: 5, settleMs: 3_000, title: 'udp probe' });
    console.log(`      FAILOVER GAP (j/d): ${r.maxGapMs.toFixed(0)} ms`);
    assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.ok(r.record.replies.some(([, t, src]) => t > movedAt && src === EGRESS_IP), 'traffic resumed after the cut');
    assert.equal(await lab.sourceIPSeen(fe1), EGRESS_IP);
  });
});
