// Per-destination selection in the lab (issue 9, point 1): one pod selected by two policies reaches
// two destinations with two egress IPs and a third with its node IP, as the external server sees it.
// "wide" (older) covers the external /24 but excludes .30; "narrow" (younger) covers only .20, so the
// more specific policy wins there although it is younger, and .30 — excluded by wide, not covered by
// narrow — keeps the node IP. A third policy naming narrow's exact prefix is reported (PodConflict
// naming narrow) and changes nothing. Pods on node-1 (pods only) and node-2 (a gateway: when it holds
// one of the IPs, its own SNAT claims the pod where that policy wins).
import assert from 'node:assert/strict';
import * as A from '../src/lab/addressing.js';
import { ADMITTED_LABEL, EGRESS_IP, EGRESS_IP_2, applyStandardPool, useLab, waitFor } from '../src/scenario.js';

const EGRESS_IP_3 = '192.0.2.102';

describe('per-destination selection', function () {
  const h = useLab({ nodes: 3, managers: 1, gatewayNodes: [2, 3] });

  it('one pod: two destinations with two egress IPs, a third with its node IP', async () => {
    const lab = h.lab;
    await applyStandardPool(lab);
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    const pods = [
      await lab.addPod({ namespace: 'shop', name: 'web-1', node: 1, labels: { app: 'web' } }),
      await lab.addPod({ namespace: 'shop', name: 'web-2', node: 2, labels: { app: 'web' } }),
    ];
    const web = { matchLabels: { app: 'web' } };
    await lab.applyPolicy({
      namespace: 'shop', name: 'wide', egressIPs: [EGRESS_IP], podSelector: web,
      destinationCIDRs: [A.EXTERNAL_CIDR], excludedCIDRs: [`${A.ECHO_IP_3}/32`],
    });
    const wide = await lab.waitAssigned('shop', 'wide', 90_000);
    // creationTimestamp has one-second resolution: narrow must be the younger one.
    await new Promise((r) => setTimeout(r, 1100));
    await lab.applyPolicy({ namespace: 'shop', name: 'narrow', egressIPs: [EGRESS_IP_2], podSelector: web, destinationCIDRs: [`${A.ECHO_IP_2}/32`] });
    const narrow = await lab.waitAssigned('shop', 'narrow', 90_000);
    console.log(`      wide ${EGRESS_IP} on ${wide.get(EGRESS_IP)}, narrow ${EGRESS_IP_2} on ${narrow.get(EGRESS_IP_2)}`);

    for (const [i, pod] of pods.entries()) {
      await lab.waitSourceIP(pod, EGRESS_IP, { dst: A.ECHO_IP });
      await lab.waitSourceIP(pod, EGRESS_IP_2, { dst: A.ECHO_IP_2 });
      assert.equal(await lab.sourceIPSeen(pod, A.ECHO_IP_3), A.nodeIP(i + 1), `${pod.name} → ${A.ECHO_IP_3}: excluded by wide, outside narrow`);
      assert.equal(await lab.sourceIPSeen(pod, A.ECHO_IP), EGRESS_IP, `${pod.name} → ${A.ECHO_IP} still wide's`);
    }
    for (const name of ['wide', 'narrow']) {
      const conflict = (await lab.getPolicy('shop', name))?.status?.conditions?.find((c) => c.type === 'Conflict');
      assert.equal(conflict?.status, 'False', `${name}: nested prefixes are no conflict: ${JSON.stringify(conflict)}`);
    }

    // An identical prefix: the older (narrow) keeps it, the newcomer is told so and changes nothing.
    await lab.applyPolicy({ namespace: 'shop', name: 'dup', egressIPs: [EGRESS_IP_3], podSelector: web, destinationCIDRs: [`${A.ECHO_IP_2}/32`] });
    await lab.waitAssigned('shop', 'dup', 90_000);
    let message = '';
    await waitFor('dup to report PodConflict', async () => {
      const c = (await lab.getPolicy('shop', 'dup'))?.status?.conditions?.find((x) => x.type === 'Conflict');
      message = c?.message ?? '';
      return c?.status === 'True' && c.reason === 'PodConflict';
    }, 30_000, 200);
    assert.match(message, /also selected by shop\/narrow for the same destination 198\.51\.100\.20\/32/);
    for (const pod of pods) assert.equal(await lab.sourceIPSeen(pod, A.ECHO_IP_2), EGRESS_IP_2, `${pod.name} → ${A.ECHO_IP_2} stays narrow's`);
  });
});
