// `kubectl egress convert` in the lab (issue 9, point 5): the kube-static-egress-ip README example,
// adapted to the lab's addresses and names, converted by the real command, applied as printed (its
// pool included: no other pool exists here), and the external server sees the converted egress IP
// for the Service's pods, to the rule's destination only.
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../packages/gateway-manager/src/cli/egressctl.js';
import * as O from '../src/lab/objects.js';
import { EGRESS_IP, addr as A, useLab } from '../src/scenario.js';

// README: "all outbound traffic from the pods of service frontend to 4.2.2.2 is SNAT'ed to
// 100.137.146.100"; here the echo server stands for 4.2.2.2 and the lab's egress address for theirs.
const README_EXAMPLE = `apiVersion: staticegressips.nirmata.io/v1alpha1
kind: StaticEgressIP
metadata:
  name: eip
  namespace: shop
spec:
  rules:
  - egressip: ${EGRESS_IP}
    service-name: frontend
    cidr: ${A.ECHO_IP}/32
`;

interface Converted { kind: string; metadata: { name: string; namespace?: string } }

describe('convert: the kube-static-egress-ip README example, applied', function () {
  const h = useLab({ nodes: 3, managers: 1, gatewayNodes: [2, 3] });

  it('the Service\'s pods leave with the converted egress IP to the rule\'s destination, other traffic with the node IP', async () => {
    const lab = h.lab;
    let out = '';
    let err = '';
    const code = await runCli(['convert', '-f', '-'], { out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: async () => README_EXAMPLE });
    assert.equal(code, 0, err);
    assert.equal(err, '', 'the README example converts without a warning');
    const objects = parseAllDocuments(out).map((d) => d.toJS() as Converted);
    assert.deepEqual(objects.map((o) => o.kind), ['EgressIPPool', 'StaticEgressIP']);

    await lab.ensureNamespace('shop');
    const fe1 = await lab.addPod({ namespace: 'shop', name: 'frontend-1', node: 1, labels: { app: 'frontend' } });
    const fe2 = await lab.addPod({ namespace: 'shop', name: 'frontend-2', node: 3, labels: { app: 'frontend' } });
    const other = await lab.addPod({ namespace: 'shop', name: 'other-1', node: 1, labels: { app: 'other' } });
    await lab.addService('shop', 'frontend', { app: 'frontend' });
    for (const o of objects) {
      await lab.kube.apply(o.kind === 'EgressIPPool' ? O.paths.pool(o.metadata.name) : O.paths.seip(o.metadata.namespace!, o.metadata.name), o);
    }

    const assigned = await lab.waitAssigned('shop', 'eip', 90_000);
    console.log(`      ${EGRESS_IP} assigned to ${assigned.get(EGRESS_IP)} (converted pool, no node selector)`);
    await lab.waitSourceIP(fe1, EGRESS_IP);
    await lab.waitSourceIP(fe2, EGRESS_IP);
    assert.equal(await lab.sourceIPSeen(fe1, A.ECHO_IP_2), A.nodeIP(1), 'a destination outside the rule\'s cidr keeps the node IP');
    assert.equal(await lab.sourceIPSeen(other), A.nodeIP(1), 'a pod the Service does not select keeps the node IP');
    const ready = (await lab.getPolicy('shop', 'eip'))?.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', JSON.stringify(ready));
  });
});
