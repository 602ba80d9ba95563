// Dual stack (issue 11, "Done when"): in a lab with IPv4 and IPv6 on every link, one pod reaches an
// IPv4 and an IPv6 destination and the external server sees the policy's IPv4 egress IP and its
// IPv6 egress IP; after the gateway's loss (link cut, agent killed) both are back on other nodes,
// and at no moment does either family leave with a node address. A probe per family runs
// throughout. Nodes 2–4 are gateways (a spare whichever nodes held the two IPs).
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { ECHO_IP6, EGRESS_POOL_CIDR6, EXTERNAL_CIDR6, nodeIP6 } from '../src/lab/ipv6.js';
import {
  ADMITTED_LABEL, EGRESS_IP, POOL_NAME, addr as A, nodeIPs, sawAny, useLab,
} from '../src/scenario.js';
import { loseBothGateways } from '../src/dual-failover.js';

const EGRESS_IP6 = '2001:db8:0:2::101';

describe('dual stack (issue 11)', function () {
  const h = useLab({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4], ipFamilies: ['IPv4', 'IPv6'] });

  it('one pod leaves with the policy\'s IPv4 and IPv6 egress IPs, both move on the gateway\'s loss, and neither family ever leaves with a node address', async () => {
    const lab = h.lab;
    const since = Date.now();
    await lab.applyPool({
      name: POOL_NAME,
      cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }, { cidr: EGRESS_POOL_CIDR6 }],
      namespaceSelector: { matchLabels: ADMITTED_LABEL },
      nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
    });
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    const client = await lab.addPod({ namespace: 'shop', name: 'client', node: 1, labels: { app: 'client' } });
    assert.ok(client.ip6, 'the pod has an IPv6 address');
    await lab.applyPolicy({
      namespace: 'shop', name: 'db-access', egressIPs: [EGRESS_IP, EGRESS_IP6], podSelector: { matchLabels: { app: 'client' } },
      destinationCIDRs: [A.EXTERNAL_CIDR, EXTERNAL_CIDR6],
    });
    const assigned = await lab.waitAssigned('shop', 'db-access', 90_000);
    await lab.waitSourceIP(client, EGRESS_IP);
    await lab.waitSourceIP(client, EGRESS_IP6, { dst: ECHO_IP6 });
    console.log(`      ${EGRESS_IP} on ${assigned.get(EGRESS_IP)}, ${EGRESS_IP6} on ${assigned.get(EGRESS_IP6)}`);

    const { r4, r6, movedAt } = await loseBothGateways(lab, client, { v4: EGRESS_IP, v6: EGRESS_IP6 }, assigned, 'udp probe');

    const nodeAddresses = [...nodeIPs(lab), ...lab.nodeIndexes.map(nodeIP6)];
    assert.deepEqual(sawAny(lab, since, nodeAddresses), [], 'the external server saw a node address');
    assert.equal(r4.wrongReplies, 0, `IPv4 replies with another source: ${JSON.stringify(r4.wrongSources)}`);
    assert.equal(r6.wrongReplies, 0, `IPv6 replies with another source: ${JSON.stringify(r6.wrongSources)}`);
    for (const [family, r] of [['IPv4', r4], ['IPv6', r6]] as const) {
      assert.ok(r.record.replies.some(([, t]) => t > movedAt), `${family} traffic flows again after the move`);
    }
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
    assert.equal(await lab.sourceIPSeen(client, ECHO_IP6), EGRESS_IP6);
  });
});
