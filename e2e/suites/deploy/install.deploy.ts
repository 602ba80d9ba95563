// Deployment suite (issue 15) on real nodes: containerd + kubelet + flannel in every lab node
// namespace (e2e/src/kubelet-lab). Install from the shipped manifests → pool + policy → the external
// server sees the egress IP from a real pod; the documented uninstall leaves no rule, chain, set,
// route, ip rule or egress address of ours on any node, and pods egress normally afterwards.
// Its own layer of `npm test` (file suffix .deploy.ts, after e2e): `npm run test:deploy`; needs the
// node binaries (tools/k8s/build-node.sh) and the image tools, which `.ci/run` installs and builds.
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { KubeletLab } from '../../src/kubelet-lab/index.js';
import { ourTraces, readKernel } from '../../src/kubelet-lab/residue.js';
import * as A from '../../src/lab/addressing.js';
import { waitFor } from '../../src/lab/lab.js';
import * as O from '../../src/lab/objects.js';

const EGRESS_IP = '192.0.2.100';
const NS = 'static-egress-system';
const figures: Record<string, string> = {};

/** A real pod from the static-egress image: one TCP connection to the echo server every 200 ms. */
function clientPod(node: string): string {
  const script = `const net=require('net');setInterval(()=>{const s=net.connect(${A.ECHO_TCP_PORT},'${A.ECHO_IP}');` +
    `s.on('data',d=>process.stdout.write(d));s.on('error',()=>{});},200)`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'client', namespace: 'shop', labels: { app: 'client' } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1,
      containers: [{ name: 'client', image: 'static-egress:0.1.0', command: ['node', '-e', script] }] },
  });
}

describe('deploy: install, egress, uninstall on real kubelets (flannel host-gw)', function () {
  this.timeout(900_000);
  let lab: KubeletLab;
  let installStart = 0;

  before(async function () {
    lab = await KubeletLab.up({ nodes: 2, backend: 'host-gw' });
  });
  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await lab?.down({ keepLogs: failed });
    console.log(`  figures: ${JSON.stringify(figures)}`);
  });

  it('installs from the manifests: the DaemonSet and the Deployment run as real pods from the image', async () => {
    installStart = Date.now();
    await lab.kubectl(['apply', '-k', lab.installDir()]);
    await lab.kubectl(['-n', NS, 'rollout', 'status', 'daemonset/static-egress-agent', '--timeout=300s']);
    await lab.kubectl(['-n', NS, 'rollout', 'status', 'deployment/static-egress-manager', '--timeout=300s']);
    figures.installToReadyMs = String(Date.now() - installStart);
    const pods = JSON.parse((await lab.kubectl(['-n', NS, 'get', 'pods', '-o', 'json'])).stdout) as
      { items: { spec: { nodeName: string }; status: { phase: string } }[] };
    assert.equal(pods.items.filter((p) => p.status.phase === 'Running').length, 2 + 2, 'two agents and two managers');
  });

  it('pool + policy: the external server sees the egress IP from a real pod, not the node IP', async () => {
    await lab.kubectl(['create', 'namespace', 'shop']);
    await lab.kubectl(['label', 'namespace', 'shop', 'egress=allowed']);
    await lab.kubectl(['apply', '-f', '-'], { input: clientPod(lab.nodeName(1)) });
    await lab.kubectl(['-n', 'shop', 'wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
    const before = Date.now();
    await waitFor('the client pod reaching the echo server (node masquerade)', () =>
      lab.echoLog(before).some((e) => e.src === A.nodeIP(1)), 60_000, 500);
    const applied = Date.now();
    await lab.kube.apply(O.paths.pool('lan'), O.poolObject({ name: 'lan', cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }],
      namespaceSelector: { matchLabels: { egress: 'allowed' } }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } } }));
    await lab.kube.apply(O.paths.seip('shop', 'client-egress'), O.seipObject({ namespace: 'shop', name: 'client-egress',
      egressIPs: [EGRESS_IP], podSelector: { matchLabels: { app: 'client' } }, destinationCIDRs: [A.EXTERNAL_CIDR] }));
    const first = await waitFor('a packet with the egress IP', () =>
      lab.echoLog(applied).find((e) => e.src === EGRESS_IP), 90_000, 200);
    figures.policyToFirstEgressPacketMs = String(first.t - applied);
    figures.installToFirstEgressPacketMs = String(first.t - installStart);
    await new Promise((r) => setTimeout(r, 3_000));
    const after = lab.echoLog(first.t + 1).map((e) => e.src);
    const leaks = after.filter((s) => s !== EGRESS_IP);
    assert.ok(after.length > 5, `the probe kept running (${after.length} connections)`);
    assert.deepEqual(leaks, [], 'after the first egress packet every connection carries the egress IP');
  });

  it('uninstall as documented: no trace of ours on any node, and pods egress normally', async () => {
    // docs/install.md "Uninstall": policies and pools first, then agents that clean up on exit, then the rest.
    await lab.kubectl(['delete', 'staticegressips', '--all', '-A', '--wait']);
    await lab.kubectl(['delete', 'egressippools', '--all', '--wait']);
    await lab.kubectl(['-n', NS, 'patch', 'daemonset', 'static-egress-agent', '--type=json', '-p',
      '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--cleanup-on-exit"}]']);
    await lab.kubectl(['-n', NS, 'rollout', 'status', 'daemonset/static-egress-agent', '--timeout=300s']);
    await lab.kubectl(['delete', '-k', lab.installDir(), '--wait=true', '--timeout=180s'], { reject: false });
    await waitFor('the agent pods gone', async () => {
      const r = await lab.kubectl(['-n', NS, 'get', 'pods', '-o', 'name'], { reject: false });
      return r.stdout.trim() === '';
    }, 120_000, 1000);
    const traces = (await Promise.all(lab.nodes.map(async (n) => ourTraces(await readKernel(n), [EGRESS_IP])))).flat();
    figures.uninstallResidue = String(traces.length);
    assert.deepEqual(traces, [], 'uninstall residue');
    const t = Date.now();
    await waitFor('the client pod egressing with its node IP again', () =>
      lab.echoLog(t).some((e) => e.src === A.nodeIP(1)), 60_000, 500);
  });
});
