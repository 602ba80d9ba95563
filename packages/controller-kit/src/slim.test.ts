import assert from 'node:assert/strict';
import type { V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { parseNode, podInfoFromPod, serviceInfoFromService } from '@static-egress/crds';
import { slimNamespace, slimNode, slimObject, slimPod, slimPolicyForAgent, slimService } from './slim.js';

const managedFields = [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } } }];
const meta = (name: string, namespace?: string) => ({
  name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, resourceVersion: '42', creationTimestamp: new Date(1_700_000_000_000),
  labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}', 'staticegress.io/pool': 'p' }, managedFields,
});

// what a kubelet-managed object looks like in a real cluster, abridged
function realPod(): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { ...meta('web-1', 'shop'), deletionTimestamp: new Date(1_700_000_100_000), ownerReferences: [] },
    spec: {
      nodeName: 'node-3', hostNetwork: false, serviceAccountName: 'default',
      containers: [{ name: 'app', image: 'registry.example/app:1', env: [{ name: 'A', value: 'x'.repeat(200) }], resources: { limits: { cpu: '1' } } }],
      volumes: [{ name: 'token', projected: { sources: [] } }],
    },
    status: {
      phase: 'Running', podIP: '203.0.113.7', podIPs: [{ ip: '203.0.113.7' }, { ip: '2001:db8::7' }], hostIP: '192.0.2.3', hostIPs: [{ ip: '192.0.2.3' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', image: 'registry.example/app:1', imageID: 'sha256:abc', ready: true, restartCount: 0 }],
    },
  };
}

function realNode(): V1Node {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: meta('node-3'),
    spec: { unschedulable: true, providerID: 'aws:///zone-a/i-1', podCIDR: '203.0.113.0/26', taints: [{ key: 'k', effect: 'NoSchedule' }] },
    status: {
      addresses: [{ type: 'InternalIP', address: '192.0.2.3' }, { type: 'InternalIP', address: '2001:db8::3' }, { type: 'Hostname', address: 'node-3' }],
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      images: [{ names: ['registry.example/app:1'], sizeBytes: 1 }], volumesInUse: ['kubernetes.io/csi/x'],
    },
  };
}

describe('slim caches (issue 16 §4)', () => {
  it('a slim Pod parses exactly as the full one, without managedFields, containers or statuses', () => {
    const pod = realPod();
    const before = structuredClone(pod);
    const slim = slimPod(pod);
    assert.deepEqual(podInfoFromPod(slim), podInfoFromPod(pod));
    assert.deepEqual(pod, before, 'the cached input is not mutated');
    assert.equal(slim.metadata?.managedFields, undefined);
    assert.deepEqual(slim.metadata?.annotations, { 'staticegress.io/pool': 'p' });
    assert.deepEqual(slim.spec, { containers: [], nodeName: 'node-3', hostNetwork: false });
    assert.deepEqual(slim.status, { phase: 'Running', podIP: '203.0.113.7', podIPs: pod.status!.podIPs, hostIP: '192.0.2.3', hostIPs: pod.status!.hostIPs });
    assert.ok(slim.metadata?.deletionTimestamp, 'a terminating pod stays terminating');
    assert.ok(JSON.stringify(slim).length < JSON.stringify(pod).length / 2);
  });

  it('a slim Node parses exactly as the full one and keeps only its Ready condition', () => {
    const node = realNode();
    const slim = slimNode(node);
    // the same, but for the last-applied annotation, which nothing reads
    assert.deepEqual(parseNode(slim), { ...parseNode(node), annotations: { 'staticegress.io/pool': 'p' } });
    assert.deepEqual(slim.status?.conditions, [{ type: 'Ready', status: 'True' }]);
    assert.equal(slim.status?.images, undefined);
    assert.equal(slim.metadata?.managedFields, undefined);
    const notReady = slimNode({ ...node, status: { ...node.status, conditions: [{ type: 'Ready', status: 'False' }] } });
    assert.equal(parseNode(notReady).ready, false);
  });

  it('a slim Service keeps its selector; a slim Namespace its labels and annotations', () => {
    const svc: V1Service = { metadata: meta('db', 'shop'), spec: { selector: { app: 'db' }, ports: [{ port: 80 }], clusterIP: '203.0.113.230' } };
    assert.deepEqual(serviceInfoFromService(slimService(svc)), serviceInfoFromService(svc));
    assert.deepEqual(slimService({ metadata: meta('x', 'shop'), spec: { ports: [{ port: 80 }] } }).spec, {});
    const ns: V1Namespace = { metadata: meta('shop'), spec: { finalizers: ['kubernetes'] } };
    const slim = slimNamespace(ns);
    assert.deepEqual(slim.metadata?.labels, { app: 'web' });
    assert.deepEqual(slim.metadata?.annotations, { 'staticegress.io/pool': 'p' });
    assert.equal(slim.metadata?.managedFields, undefined);
  });

  it('a policy as an agent keeps it: spec and status.assignments, without the conditions; the argument is untouched', () => {
    const status = {
      observedGeneration: 2, assignments: [{ egressIP: '192.0.2.100', node: 'n2' }], nodes: ['n2'],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'every egress IP is authorized and held by a gateway node' }],
    };
    const p = { apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: meta('p', 'shop'), spec: { egressIPs: ['192.0.2.100'] }, status };
    const slim = slimPolicyForAgent(p);
    assert.deepEqual(slim.status, { observedGeneration: 2, assignments: [{ egressIP: '192.0.2.100', node: 'n2' }], nodes: ['n2'] });
    assert.deepEqual(slim.spec, p.spec);
    assert.equal(slim.metadata.managedFields, undefined);
    assert.equal(p.status.conditions.length, 1, 'not mutated');
    const bare: { apiVersion: string; kind: string; metadata: ReturnType<typeof meta>; status?: { conditions?: unknown } } = { apiVersion: 'v1', kind: 'X', metadata: meta('q') };
    assert.equal(slimPolicyForAgent(bare).status, undefined);
  });

  it('a slim custom object keeps spec and status, without managedFields', () => {
    const seip = { apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: meta('db', 'shop'),
      spec: { egressIPs: ['192.0.2.100'] }, status: { assignments: [{ egressIP: '192.0.2.100', node: 'n1' }] } };
    const slim = slimObject(seip);
    assert.deepEqual({ ...slim, metadata: undefined }, { ...seip, metadata: undefined }, 'spec and status unchanged');
    assert.equal(slim.metadata?.managedFields, undefined);
    assert.equal(slim.metadata?.name, 'db');
    assert.equal(seip.metadata.managedFields, managedFields, 'the input keeps its fields');
  });
});
