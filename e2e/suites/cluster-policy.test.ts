// A ClusterStaticEgressIP in the lab (issue 9 point 4, the OVN-Kubernetes EgressIP model): one
// cluster-scoped object gives the selected pods of two namespaces the egress IP, as the external
// server sees it; a namespace it does not select, and a pod its podSelector does not pick, keep the
// node IP; a StaticEgressIP of one of those namespaces takes that namespace's pods over (precedence).
import assert from 'node:assert/strict';
import { API_VERSION, CSEIP_KIND, CSEIP_PLURAL, GROUP, VERSION } from '@static-egress/crds';
import { ADMITTED_LABEL, EGRESS_IP, EGRESS_IP_2, addr as A, applyStandardPool, useLab } from '../src/scenario.js';

const TEAM = { ...ADMITTED_LABEL, 'example.com/egress': 'corp' };
const path = (name: string) => `/apis/${GROUP}/${VERSION}/${CSEIP_PLURAL}/${name}`;

describe('ClusterStaticEgressIP: one policy, pods of two namespaces', function () {
  const h = useLab({ nodes: 3, managers: 1, gatewayNodes: [2, 3] });

  it('the selected pods of both namespaces leave with its egress IP; the others with the node IP; a namespaced policy takes its namespace over', async () => {
    const lab = h.lab;
    await applyStandardPool(lab);
    await lab.ensureNamespace('team-a', TEAM);
    await lab.ensureNamespace('team-b', TEAM);
    await lab.ensureNamespace('solo', ADMITTED_LABEL);
    const a = await lab.addPod({ namespace: 'team-a', name: 'web-1', node: 1, labels: { app: 'web' } });
    const b = await lab.addPod({ namespace: 'team-b', name: 'web-1', node: 3, labels: { app: 'web' } });
    const aDb = await lab.addPod({ namespace: 'team-a', name: 'db-1', node: 1, labels: { app: 'db' } });
    const solo = await lab.addPod({ namespace: 'solo', name: 'web-1', node: 1, labels: { app: 'web' } });
    await lab.kube.apply(path('corp'), {
      apiVersion: API_VERSION, kind: CSEIP_KIND, metadata: { name: 'corp' },
      spec: { egressIPs: [EGRESS_IP], namespaceSelector: { matchLabels: { 'example.com/egress': 'corp' } }, podSelector: { matchLabels: { app: 'web' } } },
    });

    await lab.waitSourceIP(a, EGRESS_IP, { timeoutMs: 90_000 });
    await lab.waitSourceIP(b, EGRESS_IP); // on a gateway node
    assert.equal(await lab.sourceIPSeen(aDb), A.nodeIP(1), 'a pod its podSelector does not pick');
    assert.equal(await lab.sourceIPSeen(solo), A.nodeIP(1), 'a namespace its namespaceSelector does not select');
    const status = await lab.kube.find<{ status?: { assignments?: { egressIP: string; node: string }[]; conditions?: { type: string; status: string }[] } }>(path('corp'));
    console.log(`      ${EGRESS_IP} assigned to ${status?.status?.assignments?.[0]?.node}`);
    assert.equal(status?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // team-a's own policy, younger, takes team-a's pods; team-b keeps the cluster policy.
    await lab.applyPolicy({ namespace: 'team-a', name: 'mine', egressIPs: [EGRESS_IP_2], podSelector: { matchLabels: { app: 'web' } } });
    await lab.waitSourceIP(a, EGRESS_IP_2, { timeoutMs: 90_000 });
    assert.equal(await lab.sourceIPSeen(b), EGRESS_IP, 'team-b still leaves with the cluster policy\'s IP');
  });
});
