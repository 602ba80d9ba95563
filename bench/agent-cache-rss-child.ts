// Child of bench/agent-cache-rss.ts (bundled with esbuild, run with plain node like the shipped
// daemon): builds one variant's caches from kubelet-shaped Pods and Nodes and prints its memory.
// The addresses are strings only; nothing here touches a kernel or an apiserver.
import { LIST_PAGE_SIZE } from '../packages/controller-kit/src/paged-list.js';
import { slimNode, slimPod } from '../packages/controller-kit/src/slim.js';

export type Variant = 'empty' | 'full' | 'slim' | 'node';
export const NODES = 5_000;

function pod(k: number): object {
  const name = `web-${k.toString(36)}-7f9c6b5d4-x${(k % 97).toString(36)}`;
  const ns = `team-${k % 200}`;
  const t = '2026-11-30T05:00:00Z';
  return {
    metadata: {
      name, namespace: ns, uid: `6f0e${k.toString(16).padStart(8, '0')}-1c2d-4e5f-8a9b-0c1d2e3f4a5b`, resourceVersion: String(100_000 + k),
      creationTimestamp: t, labels: { app: `app-${k % 10_000}`, 'pod-template-hash': '7f9c6b5d4', tier: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${k % 10_000}-7f9c6b5d4`, uid: 'a1b2c3d4-0000-4000-8000-000000000000', controller: true, blockOwnerDeletion: true }],
      managedFields: [
        { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {}, 'f:tier': {} }, 'f:ownerReferences': { '.': {}, 'k:{"uid":"a1b2c3d4-0000-4000-8000-000000000000"}': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {} } }, 'f:dnsPolicy': {}, 'f:restartPolicy': {} } } },
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } } },
      ],
    },
    spec: {
      nodeName: `node-${k % NODES}`, serviceAccountName: 'default', restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
      containers: [{
        name: 'app', image: 'registry.example/team/app:1.2.3', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
        volumeMounts: [{ name: 'kube-api-access-x', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      }],
      volumes: [{ name: 'kube-api-access-x', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }] } }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: {
      phase: 'Running', hostIP: '192.0.2.10', hostIPs: [{ ip: '192.0.2.10' }], podIP: `198.18.${(k >> 8) & 255}.${k & 255}`, podIPs: [{ ip: `198.18.${(k >> 8) & 255}.${k & 255}` }], startTime: t, qosClass: 'Burstable',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
      containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: 'registry.example/team/app:1.2.3', imageID: 'registry.example/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', containerID: `containerd://${k.toString(16).padStart(64, '0')}`, state: { running: { startedAt: t } }, lastState: {} }],
    },
  };
}

function node(k: number): object {
  const t = '2026-11-30T05:00:00Z';
  return {
    metadata: { name: `node-${k}`, uid: `node-${k}-uid`, resourceVersion: String(k), labels: { 'kubernetes.io/hostname': `node-${k}`, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${k % 3}` },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      managedFields: [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:allocatable': {}, 'f:capacity': {}, 'f:conditions': {}, 'f:images': {}, 'f:nodeInfo': {} } } }] },
    spec: { podCIDR: '198.18.0.0/24', podCIDRs: ['198.18.0.0/24'], providerID: `aws:///zone-${k % 3}/i-${k.toString(16)}` },
    status: {
      addresses: [{ type: 'InternalIP', address: `192.0.2.${k % 250}` }, { type: 'Hostname', address: `node-${k}` }],
      capacity: { cpu: '16', memory: '65843676Ki', pods: '110', 'ephemeral-storage': '101430960Ki' }, allocatable: { cpu: '15890m', memory: '64692700Ki', pods: '110', 'ephemeral-storage': '93478772582' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, status: type === 'Ready' ? 'True' : 'False', lastHeartbeatTime: t, lastTransitionTime: t, reason: 'KubeletHasSufficient', message: 'kubelet is posting ready status' })),
      nodeInfo: { machineID: 'ec2' + k, systemUUID: 'ec2' + k, bootID: 'b' + k, kernelVersion: '6.1.0', osImage: 'Linux', containerRuntimeVersion: 'containerd://1.7.0', kubeletVersion: 'v1.31.0', kubeProxyVersion: 'v1.31.0', operatingSystem: 'linux', architecture: 'amd64' },
      images: Array.from({ length: 40 }, (_, i) => ({ names: [`registry.example/team/image-${i}@sha256:${'ab'.repeat(32)}`, `registry.example/team/image-${i}:v${i}`], sizeBytes: 10_000_000 + i })),
    },
  };
}

/** The child: builds one variant's caches, prints its memory after a GC. */
export async function child(variant: Variant, pods: number): Promise<void> {
  const cache = new Map<string, unknown>();
  const keep = <T extends object>(items: string, f: (o: T) => T): void => {
    for (const o of (JSON.parse(items) as { items: T[] }).items) {
      const m = (o as { metadata: { namespace?: string; name: string } }).metadata;
      cache.set(`${m.namespace ?? ''}/${m.name}`, f(o));
    }
  };
  const id = <T>(o: T): T => o;
  if (variant !== 'empty') {
    const wanted = variant === 'node' ? Array.from({ length: Math.ceil(pods / NODES) }, (_, j) => j * NODES) : Array.from({ length: pods }, (_, k) => k);
    // before: one response per list (built here in 10,000-pod parts, to keep the generator's own garbage
    // out of the figure); after: pages of LIST_PAGE_SIZE, each slimmed as it arrives (listInPages)
    const page = variant === 'full' ? 10_000 : LIST_PAGE_SIZE;
    for (let at = 0; at < wanted.length; at += page) {
      keep(JSON.stringify({ items: wanted.slice(at, at + page).map(pod) }), variant === 'full' ? id : slimPod as (o: object) => object);
    }
    const nodePage = variant === 'full' ? NODES : LIST_PAGE_SIZE;
    for (let at = 0; at < NODES; at += nodePage) {
      keep(JSON.stringify({ items: Array.from({ length: Math.min(nodePage, NODES - at) }, (_, k) => node(at + k)) }), variant === 'full' ? id : slimNode as (o: object) => object);
    }
  }
  // what a scrape of the running daemon sees once V8 has collected the list's garbage (several full GCs)
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  await new Promise((r) => setTimeout(r, 300));
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ objects: cache.size, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, podBytes: JSON.stringify(pod(1)).length, slimPodBytes: JSON.stringify(slimPod(pod(1) as never)).length, nodeBytes: JSON.stringify(node(1)).length, slimNodeBytes: JSON.stringify(slimNode(node(1) as never)).length })}\n`);
}

if (process.argv[2] === '--child') await child(process.argv[3] as Variant, Number(process.argv[4]));
