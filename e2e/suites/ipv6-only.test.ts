// The IPv6-only lab (issue 11): no IPv4 address on any link, Nodes and pods IPv6 only, the agents
// started without --uplink (each finds its uplink by its IPv6 InternalIP) and probed by the managers
// over IPv6. A selected pod reaches the external IPv6 echo server with the policy's IPv6 egress IP,
// an unselected one with its node's address; the gateway's loss (link cut, agent killed) moves the
// IP and no packet ever leaves with a node address — in direct mode and in VXLAN mode (the overlay
// CNI over IPv6; the product's tunnel segress.vx6 over the IPv6 underlay).
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { tryInNetns } from '../src/lab/exec.js';
import { ECHO_IP6, ECHO_IP6_2, EGRESS_POOL_CIDR6, nodeIP6 } from '../src/lab/ipv6.js';
import {
  ADMITTED_LABEL, POOL_NAME, loseNode, printReport, sawAny, sleep, useLab, waitMoved, type LabPod,
} from '../src/scenario.js';

const EGRESS_IP6 = '2001:db8:0:2::101';

for (const overlay of [false, true]) {
  describe(`IPv6-only lab, ${overlay ? 'VXLAN mode (overlay CNI)' : 'direct mode'} (issue 11)`, function () {
    const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], overlay, ipFamilies: ['IPv6'] });
    let client: LabPod;

    it('a selected pod leaves with the IPv6 egress IP, an unselected one with its node\'s address; no agent was given --uplink', async () => {
      const lab = h.lab;
      for (const i of lab.nodeIndexes) assert.ok(!lab.processes.agentArgs(i).includes('--uplink'), 'the lab passes no --uplink');
      await lab.applyPool({
        name: POOL_NAME, cidrs: [{ cidr: EGRESS_POOL_CIDR6 }],
        namespaceSelector: { matchLabels: ADMITTED_LABEL }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
      });
      await lab.ensureNamespace('shop', ADMITTED_LABEL);
      client = await lab.addPod({ namespace: 'shop', name: 'client', node: 1, labels: { app: 'client' } });
      const other = await lab.addPod({ namespace: 'shop', name: 'other', node: 1, labels: { app: 'other' } });
      assert.equal(client.ip, client.ip6, 'an IPv6-only pod\'s primary address is its IPv6 one');
      await lab.applyPolicy({
        namespace: 'shop', name: 'db-access', egressIPs: [EGRESS_IP6], podSelector: { matchLabels: { app: 'client' } },
        destinationCIDRs: [`${ECHO_IP6}/128`],
      });
      const assigned = await lab.waitAssigned('shop', 'db-access', 90_000);
      console.log(`      ${EGRESS_IP6} on ${assigned.get(EGRESS_IP6)}`);
      await lab.waitSourceIP(client, EGRESS_IP6, { dst: ECHO_IP6 });
      assert.equal(await lab.sourceIPSeen(client, ECHO_IP6_2), nodeIP6(1), 'a destination outside the policy\'s');
      assert.equal(await lab.sourceIPSeen(other, ECHO_IP6), nodeIP6(1), 'a pod the policy does not select');
      if (overlay) {
        // the product's IPv6 tunnel on the director rides the IPv6 underlay
        const r = await tryInNetns(lab.names.nodeNs(1), 'ip', ['-d', 'link', 'show', 'segress.vx6']);
        assert.match(r.out, new RegExp(`local ${nodeIP6(1)} `), r.out);
      }
    });

    it('gateway lost: the same IPv6 egress IP from another node, never a node address', async () => {
      const lab = h.lab;
      const holder = (await lab.waitAssigned('shop', 'db-access')).get(EGRESS_IP6)!;
      const since = Date.now();
      const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5, target: ECHO_IP6 });
      await sleep(2_000);
      const cut = Date.now();
      await loseNode(lab, lab.nodeIndex(holder));
      const next = await waitMoved(lab, EGRESS_IP6, holder, 60_000);
      const movedAt = Date.now();
      console.log(`      ${holder} lost; ${EGRESS_IP6} on ${next} after ${movedAt - cut} ms (ip addr polling)`);
      await sleep(3_000);
      const r = await probe.stopAndAnalyze(EGRESS_IP6);
      printReport('IPv6 udp probe', r);
      assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
      assert.deepEqual(sawAny(lab, since, lab.nodeIndexes.map(nodeIP6)), [], 'the external server saw a node address');
      assert.ok(r.record.replies.some(([, t, src]) => t > movedAt && src === EGRESS_IP6), 'traffic resumed after the cut');
      assert.equal(await lab.sourceIPSeen(client, ECHO_IP6), EGRESS_IP6);
    });
  });
}
