// `kubectl egress convert` in the lab (issue 9, "Done when"): the documented examples of
// egressip-ipam-operator, OpenShift SDN (manual placement) and OVN-Kubernetes EgressIP, adapted to
// the lab's addresses and names, converted by the real command, applied as printed, and the
// behaviour each system's documentation describes checked where the external server sees it.
// (kube-static-egress-ip's README example: convert.test.ts.) The same lab also checks point 6: a
// claim of a pool CIDR's network or broadcast address is refused and never put on a node.
//
// Lab: node-1 and node-2 in zone-a, node-3 and node-4 in zone-b; only node-2 and node-3 are
// workers (the EgressIPAM's nodeSelector) and egress-assignable (OVN's node label).
import assert from 'node:assert/strict';
import { CSEIP_PLURAL, GROUP, NAMESPACE_POLICY_NAME, VERSION } from '@static-egress/crds';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../packages/gateway-manager/src/cli/egressctl.js';
import * as O from '../src/lab/objects.js';
import { addr as A, useLab, waitFor, type Lab } from '../src/scenario.js';

const ZONE_KEY = 'topology.kubernetes.io/zone';
const WORKER = 'node-role.kubernetes.io/worker';
const OVN_ASSIGNABLE = 'k8s.ovn.org/egress-assignable';
const ZONES: Record<number, string> = { 1: 'zone-a', 2: 'zone-a', 3: 'zone-b', 4: 'zone-b' };

interface Converted { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } }

/** The real command on `text`; fails the test on an error. */
async function convert(text: string): Promise<{ objects: Converted[]; warnings: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['convert', '-f', '-'], { out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: async () => text });
  assert.equal(code, 0, err);
  return { objects: parseAllDocuments(out).map((d) => d.toJS() as Converted), warnings: err };
}

/** Applies the objects as printed (pools first, as convert orders them); a Namespace's opt-in annotations onto it. */
async function applyConverted(lab: Lab, objects: readonly Converted[]): Promise<void> {
  for (const o of objects) {
    if (o.kind === 'Namespace') {
      await lab.kube.patch(`/api/v1/namespaces/${o.metadata.name}`, { metadata: { annotations: o.metadata.annotations } });
      continue;
    }
    const path = o.kind === 'EgressIPPool' ? O.paths.pool(o.metadata.name)
      : o.kind === 'ClusterStaticEgressIP' ? `/apis/${GROUP}/${VERSION}/${CSEIP_PLURAL}/${o.metadata.name}`
        : O.paths.seip(o.metadata.namespace!, o.metadata.name);
    await lab.kube.apply(path, o);
  }
}

describe('issue 9 in the lab (one bring-up)', function () {
  const h = useLab({ nodes: 4, managers: 1, gatewayNodes: [2, 3] });

  describe('convert: egressip-ipam-operator, OpenShift SDN and OVN-Kubernetes examples, applied', function () {

    before(async function () {
      this.timeout(60_000);
      for (const i of h.lab.nodeIndexes) {
        const labels: Record<string, string> = { [ZONE_KEY]: ZONES[i]! };
        if (i === 2 || i === 3) Object.assign(labels, { [WORKER]: '', [OVN_ASSIGNABLE]: '' });
        await h.lab.kube.patch(O.paths.node(h.lab.nodeName(i)), { metadata: { labels } });
      }
    });

    it('egressip-ipam-operator: one IP per zone, held in its zone; a pod leaves with its own zone\'s IP', async () => {
      const lab = h.lab;
      // The operator README's EgressIPAM (one CIDR per zone, topologyLabel, worker nodes) and an
      // opted-in namespace naming one IP per zone; lab CIDRs instead of 192.169.0.0/24 and 10.0.x.0/19.
      const { objects, warnings } = await convert(`apiVersion: redhatcop.redhat.io/v1alpha1
kind: EgressIPAM
metadata:
  name: egressipam-lab
spec:
  cidrAssignments:
    - labelValue: zone-a
      CIDR: 192.0.2.96/28
    - labelValue: zone-b
      CIDR: 192.0.2.112/28
  topologyLabel: ${ZONE_KEY}
  nodeSelector:
    matchLabels:
      ${WORKER}: ""
---
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  annotations:
    egressip-ipam-operator.redhat-cop.io/egressipam: egressipam-lab
    egressip-ipam-operator.redhat-cop.io/egressips: 192.0.2.100,192.0.2.116
`);
      assert.equal(warnings, '');
      assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.name}`), ['EgressIPPool egressipam-lab', 'Namespace payments']);

      await lab.ensureNamespace('payments');
      // Six pods over both zones, so a hash that ignored zones would send some out of the other zone's
      // IP (all six right by chance: 1 in 64).
      const pods = [];
      for (const [n, node] of [[1, 1], [2, 1], [3, 2], [4, 3], [5, 4], [6, 4]] as const) {
        pods.push(await lab.addPod({ namespace: 'payments', name: `api-${n}`, node, labels: { app: 'api' } }));
      }
      await applyConverted(lab, objects);

      // the namespace opts in to the pool with the IPs it names: the manager's namespace IPAM writes its policy
      const held = await lab.waitAssigned('payments', NAMESPACE_POLICY_NAME, 90_000);
      assert.deepEqual(Object.fromEntries(held), { '192.0.2.100': 'node-2', '192.0.2.116': 'node-3' }, 'each zone\'s IP on that zone\'s worker');
      for (const pod of pods) await lab.waitSourceIP(pod, ZONES[pod.node] === 'zone-a' ? '192.0.2.100' : '192.0.2.116');
    });

    it('OpenShift SDN manual placement: the IP is held by the node its HostSubnet names, the namespace leaves with it', async () => {
      const lab = h.lab;
      // OpenShift's "manually assigned egress IPs": oc patch netnamespace project1 --egressIPs, oc patch
      // hostsubnet node-4 --egressIPs; node-4 is neither a worker nor a gateway, so only the
      // placement can put it there.
      const { objects } = await convert(`apiVersion: network.openshift.io/v1
kind: NetNamespace
metadata:
  name: project1
netname: project1
netid: 1234567
egressIPs:
- 192.0.2.130
---
apiVersion: network.openshift.io/v1
kind: HostSubnet
metadata:
  name: node-4
host: node-4
hostIP: ${A.nodeIP(4)}
subnet: ${A.podCidr(4)}
egressIPs:
- 192.0.2.130
`);
      assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.name}`), ['EgressIPPool sdn-node-node-4', 'StaticEgressIP openshift-sdn-egress']);

      await lab.ensureNamespace('project1');
      const pod = await lab.addPod({ namespace: 'project1', name: 'app-1', node: 1, labels: { app: 'any' } });
      await applyConverted(lab, objects);

      const held = await lab.waitAssigned('project1', 'openshift-sdn-egress', 90_000);
      assert.equal(held.get('192.0.2.130'), 'node-4');
      await lab.waitSourceIP(pod, '192.0.2.130');
    });

    it('OVN-Kubernetes EgressIP: the selected pods of two namespaces leave with its IP, others with their node IP', async () => {
      const lab = h.lab;
      // The OVN-Kubernetes EgressIP documentation's example (egressIPs, podSelector app: web,
      // namespaceSelector env: prod) with a lab address; the namespaces are given for the overlap check.
      const { objects, warnings } = await convert(`apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata:
  name: egress-prod
spec:
  egressIPs:
  - 192.0.2.140
  podSelector:
    matchLabels:
      app: web
  namespaceSelector:
    matchLabels:
      env: prod
`);
      assert.equal(warnings, '');
      assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.name}`), ['EgressIPPool ovn-egress-prod', 'ClusterStaticEgressIP egress-prod']);

      await lab.ensureNamespace('shop-prod', { env: 'prod' });
      await lab.ensureNamespace('blog-prod', { env: 'prod' });
      await lab.ensureNamespace('shop-dev', { env: 'dev' });
      const web1 = await lab.addPod({ namespace: 'shop-prod', name: 'web-1', node: 1, labels: { app: 'web' } });
      const web2 = await lab.addPod({ namespace: 'blog-prod', name: 'web-1', node: 4, labels: { app: 'web' } });
      const db = await lab.addPod({ namespace: 'shop-prod', name: 'db-1', node: 1, labels: { app: 'db' } });
      const dev = await lab.addPod({ namespace: 'shop-dev', name: 'web-1', node: 1, labels: { app: 'web' } });
      await applyConverted(lab, objects);

      const path = `/apis/${GROUP}/${VERSION}/${CSEIP_PLURAL}/egress-prod`;
      const holder = await waitFor('egress-prod to be Ready', async () => {
        const s = await lab.kube.find<{ status?: { assignments?: { node: string }[]; conditions?: { type: string; status: string }[] } }>(path);
        return s?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s.status.assignments?.[0]?.node : undefined;
      }, 90_000, 250);
      assert.ok(holder === 'node-2' || holder === 'node-3', `held by an egress-assignable node, not ${holder}`);
      await lab.waitSourceIP(web1, '192.0.2.140');
      await lab.waitSourceIP(web2, '192.0.2.140');
      assert.equal(await lab.sourceIPSeen(db), A.nodeIP(1), 'a pod the podSelector does not pick');
      assert.equal(await lab.sourceIPSeen(dev), A.nodeIP(1), 'a namespace the namespaceSelector does not select');
    });
  });

  describe('pools: network and broadcast addresses (issue 9 point 6)', function () {
    it('a claim of a pool CIDR\'s network or broadcast address is Ready=False IPNotUsable and never reaches a node', async () => {
      const lab = h.lab;
      await lab.ensureNamespace('edge');
      const pod = await lab.addPod({ namespace: 'edge', name: 'client', node: 1, labels: { app: 'client' } });
      await lab.applyPool({ name: 'edge', cidrs: [{ cidr: '192.0.2.144/28' }], nodeSelector: { matchLabels: { [WORKER]: '' } } });
      await lab.applyPolicy({ namespace: 'edge', name: 'ends', egressIPs: ['192.0.2.144', '192.0.2.159'], podSelector: { matchLabels: { app: 'client' } } });
      const ready = await waitFor('edge/ends to report its problem', async () => {
        const c = (await lab.getPolicy('edge', 'ends'))?.status?.conditions?.find((x) => x.type === 'Ready');
        return c?.reason === 'IPNotUsable' ? c : undefined;
      }, 60_000, 250);
      assert.equal(ready.status, 'False');
      assert.match(ready.message ?? '', /192\.0\.2\.144 is the network address of 192\.0\.2\.144\/28 in EgressIPPool edge/);
      assert.match(ready.message ?? '', /192\.0\.2\.159 is the broadcast address/);
      const pool = await waitFor('the edge pool status', async () => {
        const p = await lab.kube.find<{ status?: { capacity?: number; allocated?: number } }>(O.paths.pool('edge'));
        return p?.status?.capacity !== undefined ? p.status : undefined;
      }, 30_000, 250);
      assert.deepEqual([pool.capacity, pool.allocated], [14, 0], 'a /28 has 14 host addresses; the claims allocate none');

      // A host address of the same pool then works: the policy's fault was only its two ends.
      await lab.applyPolicy({ namespace: 'edge', name: 'ends', egressIPs: ['192.0.2.144', '192.0.2.145'], podSelector: { matchLabels: { app: 'client' } } });
      await lab.waitSourceIP(pod, '192.0.2.145', { timeoutMs: 90_000 });
      const held = await lab.holders();
      assert.deepEqual([held.get('192.0.2.144'), held.get('192.0.2.159')], [undefined, undefined], 'no node has the network or broadcast address');
    });
  });
});
