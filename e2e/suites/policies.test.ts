// Policies in the lab (issue 4, scenarios a, b, c, h): the source address the external server sees is
// the egress IP exactly for the selected pods and destinations; several egress IPs spread over nodes;
// a namespace the pool does not admit gets nothing; a deleted policy leaves nothing behind.
// One lab for the file: node-1 runs pods only, node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import { pinEgressIP } from '@static-egress/crds';
import { readNodeKernel, residue } from '../src/lab/inspect.js';
import * as O from '../src/lab/objects.js';
import {
  ADMITTED_LABEL, EGRESS_IP, addr as A, applyStandardPool, useLab, waitFor, type LabPod,
} from '../src/scenario.js';

describe('policies (a, b, c, h)', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3] });
  const created: { namespace: string; name: string; ips: string[]; pods: LabPod[] }[] = [];

  before(async function () {
    await applyStandardPool(h.lab);
  });

  it('(a) pods behind a Service leave with the egress IP, to the destination CIDR only', async () => {
    const lab = h.lab;
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    const fe1 = await lab.addPod({ namespace: 'shop', name: 'frontend-1', node: 1, labels: { app: 'frontend' } });
    const fe2 = await lab.addPod({ namespace: 'shop', name: 'frontend-2', node: 2, labels: { app: 'frontend' } });
    const other = await lab.addPod({ namespace: 'shop', name: 'other-1', node: 1, labels: { app: 'other' } });
    await lab.addService('shop', 'frontend', { app: 'frontend' });
    await lab.applyPolicy({
      namespace: 'shop', name: 'frontend-egress', egressIPs: [EGRESS_IP], serviceName: 'frontend',
      destinationCIDRs: [`${A.ECHO_IP}/32`],
    });
    created.push({ namespace: 'shop', name: 'frontend-egress', ips: [EGRESS_IP], pods: [fe1, fe2, other] });
    const assigned = await lab.waitAssigned('shop', 'frontend-egress', 90_000);
    console.log(`      ${EGRESS_IP} assigned to ${assigned.get(EGRESS_IP)}`);
    assert.ok(['node-2', 'node-3'].includes(assigned.get(EGRESS_IP) ?? ''), 'only gateway-labelled nodes may hold it');

    // Each director programs a moment after the gateway, from its own watch: poll, then require.
    await lab.waitSourceIP(fe1, EGRESS_IP);
    await lab.waitSourceIP(fe2, EGRESS_IP); // a selected pod on a gateway node
    assert.equal(await lab.sourceIPSeen(fe1, A.ECHO_IP_2), A.nodeIP(1), 'destination outside destinationCIDRs');
    assert.equal(await lab.sourceIPSeen(other), A.nodeIP(1), 'a pod the Service does not select');
    const ready = (await lab.getPolicy('shop', 'frontend-egress'))?.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', JSON.stringify(ready));
  });

  it('(b) two egress IPs on one policy are held by two different nodes; each pod keeps its pinned IP', async () => {
    const lab = h.lab;
    const ips = ['192.0.2.101', '192.0.2.102'];
    await lab.ensureNamespace('multi', ADMITTED_LABEL);
    const pods: LabPod[] = [];
    for (let k = 1; k <= 4; k++) {
      pods.push(await lab.addPod({ namespace: 'multi', name: `m-${k}`, node: 1, labels: { app: 'multi' } }));
    }
    await lab.applyPolicy({ namespace: 'multi', name: 'two-ips', egressIPs: ips, podSelector: { matchLabels: { app: 'multi' } } });
    created.push({ namespace: 'multi', name: 'two-ips', ips, pods });
    const assigned = await lab.waitAssigned('multi', 'two-ips', 90_000);
    const nodes = ips.map((ip) => assigned.get(ip));
    console.log(`      ${ips[0]} → ${nodes[0]}, ${ips[1]} → ${nodes[1]}`);
    assert.notEqual(nodes[0], nodes[1], 'one node must never hold two IPs of the same policy');
    const held = await lab.holders();
    for (const ip of ips) assert.equal(held.get(ip)?.length, 1, `${ip} on exactly one node: ${held.get(ip)}`);

    const seen: string[] = [];
    for (const p of pods) {
      const obj = await lab.kube.get<{ metadata: { uid: string } }>(O.paths.pod(p.namespace, p.name));
      const want = pinEgressIP(obj.metadata.uid, ips);
      const got = await waitFor(`${p.name} to leave with ${want}`, async () => {
        const s = await lab.sourceIPSeen(p);
        return s === want ? s : undefined;
      }, 30_000, 300).catch(async () => lab.sourceIPSeen(p));
      seen.push(`${p.name}→${got}`);
      assert.equal(got, want, `${p.name} (uid ${obj.metadata.uid}) is pinned to ${want}`);
    }
    console.log(`      ${seen.join(', ')}`);
  });

  it('(c) a namespace the pool does not admit cannot use its IP: condition, Event, nothing programmed', async () => {
    const lab = h.lab;
    const ip = '192.0.2.103';
    await lab.ensureNamespace('tenant-b'); // no egress=allowed label
    const pod = await lab.addPod({ namespace: 'tenant-b', name: 'b-1', node: 1, labels: { app: 'b' } });
    await lab.applyPolicy({ namespace: 'tenant-b', name: 'steal', egressIPs: [ip], podSelector: { matchLabels: { app: 'b' } } });
    created.push({ namespace: 'tenant-b', name: 'steal', ips: [ip], pods: [pod] });
    const cond = await waitFor('Ready=False IPNotAuthorized on tenant-b/steal', async () => {
      const c = (await lab.getPolicy('tenant-b', 'steal'))?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' && c.reason === 'IPNotAuthorized' ? c : undefined;
    }, 60_000, 300);
    console.log(`      Ready=False ${cond.reason}: ${cond.message}`);
    const ev = await waitFor('an EgressIPNotAuthorized Event', async () => {
      const list = await lab.kube.get<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(
        O.paths.events('tenant-b'));
      return list.items.find((e) => e.reason === 'EgressIPNotAuthorized' && e.involvedObject.name === 'steal');
    }, 30_000, 300);
    console.log(`      Event ${ev.reason}: ${ev.message}`);

    // Nothing programmed: the IP on no node, no trace of it in any kernel, the pod leaves as before.
    const held = await lab.holders();
    assert.equal(held.get(ip), undefined, `${ip} must be on no node: ${held.get(ip)}`);
    for (const i of lab.nodeIndexes) assert.deepEqual(residue(await readNodeKernel(lab, i), [ip], [pod.ip], [0, -1]), []);
    assert.equal(await lab.sourceIPSeen(pod), A.nodeIP(1));
  });

  it('(h) a deleted policy leaves nothing on any node', async () => {
    const lab = h.lab;
    const ips = created.flatMap((c) => c.ips);
    const podIPs = created.flatMap((c) => c.pods.map((p) => p.ip));
    const before = (await Promise.all(lab.nodeIndexes.map(async (i) => residue(await readNodeKernel(lab, i), ips, podIPs)))).flat();
    assert.ok(before.length > 0, 'sanity: the policies were programmed somewhere');
    for (const c of created) await lab.deletePolicy(c.namespace, c.name);
    const left = await waitFor('every trace of the deleted policies to go', async () => {
      const r = (await Promise.all(lab.nodeIndexes.map(async (i) => residue(await readNodeKernel(lab, i), ips, podIPs)))).flat();
      return r.length === 0 ? r : undefined;
    }, 60_000, 500).catch(async (err: Error) => {
      const r = (await Promise.all(lab.nodeIndexes.map(async (i) => residue(await readNodeKernel(lab, i), ips, podIPs)))).flat();
      throw new Error(`${err.message}:\n  ${r.join('\n  ')}`);
    });
    assert.deepEqual(left, []);
    for (const c of created) {
      for (const p of c.pods) assert.equal(await lab.sourceIPSeen(p), A.nodeIP(p.node), `${p.name} back to its node's address`);
    }
  });
});
