// Deployment suite (issue 15) on real nodes: containerd + kubelet + flannel in every lab node
// namespace (e2e/src/kubelet-lab). Install from the shipped manifests → pool + policy → the external
// server sees the egress IP from a real pod; an agent rollout restart and an upgrade to a new image
// tag (DaemonSet and manager Deployment roll) and the drain of the gateway node, each under a
// continuous probe from that pod: no packet leaves with a node IP, the gap is reported; the documented
// uninstall leaves no rule, chain, set, route, ip rule or egress address of ours on any node, and pods
// egress normally afterwards. Three nodes: node-1 and node-2 are gateways, node-3 runs the probe pod
// (so draining a gateway never evicts the probe).
// Its own layer of `npm test` (file suffix .deploy.ts, after e2e): `npm run test:deploy`; needs the
// node binaries (tools/k8s/build-node.sh) and the image tools, which `.ci/run` installs and builds.
import assert from 'node:assert/strict';
import { KubeletLab } from '../../src/kubelet-lab/index.js';
import { analyzeProbeWindow } from '../../src/kubelet-lab/probe.js';
import { applyEgress, EGRESS_IP, IMAGE, install, NS, uninstall, waitNodeEgress, waitRollouts } from '../../src/kubelet-lab/scenario.js';
import { summarizeEchoLog } from '../../src/lab/echo-log.js';
import { waitFor } from '../../src/lab/lab.js';

const UPGRADE_TAG = '0.1.1-upgrade';
const GATEWAYS = [1, 2];
const PROBE_NODE = 3;
const SETTLE_MS = 3_000;
/** A silence longer than this keeps the lab's logs (daemons, pods) for a look, though the test passes. */
const LONG_GAP_MS = 3_000;
const figures: Record<string, string> = {};

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

describe('deploy: install, upgrade, drain, uninstall on real kubelets (flannel host-gw)', function () {
  this.timeout(900_000);
  let lab: KubeletLab;
  let installStart = 0;
  let longGap = false;

  before(async function () {
    lab = await KubeletLab.up({ nodes: 3, backend: 'host-gw' });
  });
  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await lab?.down({ keepLogs: failed || longGap });
    console.log(`  figures: ${JSON.stringify(figures)}`);
  });

  async function holdersOfEgressIP(): Promise<string[]> { return (await lab.holders()).get(EGRESS_IP) ?? []; }

  /** Runs `disrupt`, lets the probe run SETTLE_MS more, then: no leak, and the longest silence as `figure`. */
  async function underProbe(figure: string, disrupt: () => Promise<void>): Promise<void> {
    const before = await holdersOfEgressIP();
    const from = Date.now();
    await disrupt();
    await sleep(SETTLE_MS);
    const to = Date.now();
    const w = analyzeProbeWindow(lab.echoLog(from), { egressIP: EGRESS_IP, from, to });
    figures[figure] = String(w.maxGapMs);
    const holders = await holdersOfEgressIP();
    console.log(`    ${figure}: ${w.maxGapMs} ms (from +${w.gapStart - from} ms), ${w.connections} connections in ${to - from} ms; ` +
      `egress IP on ${before.join() || 'none'} → ${holders.join() || 'none'}`);
    if (w.maxGapMs > LONG_GAP_MS) longGap = true;
    assert.deepEqual(w.leaks.map((e) => `${e.src} at +${e.t - from} ms`), [],
      `no connection leaves with another source:\n${summarizeEchoLog(lab.echoLog(from))}`);
    assert.ok(w.connections > (to - from) / 1000, `the probe kept running (${w.connections} connections)`);
    assert.equal(holders.length, 1, `one holder afterwards: ${holders.join() || 'none'}`);
  }

  it('installs from the manifests: the DaemonSet and the Deployment run as real pods from the image', async () => {
    installStart = await install(lab);
    figures.installToReadyMs = String(Date.now() - installStart);
    const pods = JSON.parse((await lab.kubectl(['-n', NS, 'get', 'pods', '-o', 'json'])).stdout) as
      { items: { spec: { nodeName: string }; status: { phase: string } }[] };
    assert.equal(pods.items.filter((p) => p.status.phase === 'Running').length, lab.nodes.length + 2, 'an agent per node and two managers');
  });

  it('pool + policy: the external server sees the egress IP from a real pod, not the node IP', async () => {
    const { applied, first } = await applyEgress(lab, PROBE_NODE);
    figures.policyToFirstEgressPacketMs = String(first - applied);
    figures.installToFirstEgressPacketMs = String(first - installStart);
    await sleep(SETTLE_MS);
    const after = lab.echoLog(first + 1).map((e) => e.src);
    assert.ok(after.length > 5, `the probe kept running (${after.length} connections)`);
    assert.deepEqual(after.filter((s) => s !== EGRESS_IP), [], 'after the first egress packet every connection carries the egress IP');
    const holders = await holdersOfEgressIP();
    assert.equal(holders.length, 1);
    assert.ok(GATEWAYS.map((i) => lab.nodeName(i)).includes(holders[0] ?? ''), `held by a gateway node: ${holders.join()}`);
  });

  it('agent upgrade, kubectl rollout restart daemonset: no packet with a node IP, the gap reported', async () => {
    await underProbe('agentRolloutGapMs', async () => {
      await lab.kubectl(['-n', NS, 'rollout', 'restart', 'daemonset/static-egress-agent']);
      await waitRollouts(lab);
    });
  });

  it('upgrade to a new image tag (agents and managers roll): no packet with a node IP, the gap reported', async () => {
    await lab.tagImage(IMAGE, `static-egress:${UPGRADE_TAG}`);
    await underProbe('upgradeGapMs', async () => {
      await lab.kubectl(['apply', '-k', lab.installDir({ imageTag: UPGRADE_TAG })]);
      await waitRollouts(lab);
    });
    const images = (await lab.kubectl(['-n', NS, 'get', 'pods', '-o', 'jsonpath={.items[*].spec.containers[*].image}'])).stdout.split(' ');
    assert.deepEqual([...new Set(images)], [`static-egress:${UPGRADE_TAG}`], 'every pod runs the new tag');
  });

  it('kubectl drain of the gateway node: the IP moves to the other gateway, nothing leaks, the gap reported', async () => {
    const [from] = await holdersOfEgressIP();
    assert.ok(from, 'the egress IP has a holder');
    const to = GATEWAYS.map((i) => lab.nodeName(i)).find((n) => n !== from) ?? '';
    await underProbe('drainGapMs', async () => {
      await lab.kubectl(['drain', from, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=180s']);
      await waitFor(`the egress IP on ${to}`, async () => (await holdersOfEgressIP()).join() === to, 60_000, 200);
    });
    await lab.kubectl(['uncordon', from]);
  });

  it('uninstall as documented: no trace of ours on any node, and pods egress normally', async () => {
    const traces = await uninstall(lab);
    figures.uninstallResidue = String(traces.length);
    assert.deepEqual(traces, [], 'uninstall residue');
    await waitNodeEgress(lab, PROBE_NODE);
  });
});
