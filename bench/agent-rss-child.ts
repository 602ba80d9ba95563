// Child of bench/agent-programming.ts (bundled with esbuild and run with plain node, like the
// shipped daemon): holds 10,000 pods, 1,000 policies and 100 nodes as API objects, computes and
// renders this node's state from them three times, then prints its memory use. Nothing here
// touches a kernel; the egress IPs (198.18.0.0/15, the benchmarking range) are only strings.
import { computeAgentInputs } from '../packages/node-agent/src/agent/inputs.js';
import { computeNodeState } from '../packages/node-agent/src/desired/compute.js';
import type { NodeState } from '../packages/node-agent/src/desired/types.js';
import { renderState } from '../packages/node-agent/src/render/state.js';

const RANGES = { markMask: 0x03ff0000, tableMin: 5000, tableMax: 6023, priorityMin: 5000, priorityMax: 6023 };
const RENDER = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };
  const pods = Array.from({ length: 10_000 }, (_, k) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `pod-${k}`, namespace: `ns${k % 50}`, uid: `0000-${k}`, labels: { app: `app${k % 1000}`, tier: 'web' }, resourceVersion: String(k) },
    spec: { nodeName: `node-${k % 100}`, containers: [{ name: 'c', image: 'registry.example/app:1' }] },
    status: { phase: 'Running', podIP: `203.0.113.${k % 256}`, podIPs: [{ ip: `203.0.113.${k % 256}` }] },
  }));
  const policies = Array.from({ length: 1000 }, (_, p) => ({
    apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
    metadata: { name: `p${p}`, namespace: `ns${p % 50}`, uid: `pol-${p}`, generation: 1, creationTimestamp: new Date(1_700_000_000_000 + p) },
    spec: { egressIPs: [`198.18.${p >> 8}.${p & 255}`], podSelector: { matchLabels: { app: `app${p}` } }, destinationCIDRs: ['198.51.100.0/24'] },
    status: { assignments: [{ egressIP: `198.18.${p >> 8}.${p & 255}`, node: `node-${p % 100}` }] },
  }));
  const nodes = Array.from({ length: 100 }, (_, n) => ({ metadata: { name: `node-${n}` }, status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${n + 1}` }] } }));
  const namespaces = Array.from({ length: 50 }, (_, n) => ({ metadata: { name: `ns${n}`, labels: { egress: 'allowed' } } }));
  const pools = [{ metadata: { name: 'bench' }, spec: { cidrs: [{ cidr: '198.18.0.0/15' }], namespaceSelector: { matchLabels: { egress: 'allowed' } } } }];
  // these objects stay in this child process; nothing reaches a kernel
  const snap = { policies, pools, pods, nodes, services: [], namespaces } as unknown as Parameters<typeof computeAgentInputs>[0];
  let state: NodeState | null = null;
  for (let i = 0; i < 3; i++) {
    const { input } = computeAgentInputs(snap, { nodeName: 'node-0', mode: 'direct', clusterCIDRs: [], ranges: RANGES });
    state = computeNodeState(input!);
    renderState(state, RENDER);
  }
  const peak = process.memoryUsage();
  // steady state between syncs: what a scrape of the running daemon sees after V8 collects
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, peakRssMB: peak.rss / 2 ** 20, director: state!.director.length, gateway: state!.gateway.length })}\n`);
