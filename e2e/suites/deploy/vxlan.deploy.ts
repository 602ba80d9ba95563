// Deployment suite (issue 15), overlay CNI: flannel's vxlan backend on real kubelets, where the LAN
// carries no pod address (the lab's LAN drops such frames), and the agent in --mode=vxlan as
// docs/install.md says for overlays. Install from the manifests → pool + policy → the external
// server sees the egress IP from a real pod on the other node; the documented uninstall leaves
// nothing of ours, and the pod egresses normally again. node-1 is the gateway, node-2 runs the pod.
import assert from 'node:assert/strict';
import { KubeletLab } from '../../src/kubelet-lab/index.js';
import { applyEgress, EGRESS_IP, install, uninstall, waitNodeEgress } from '../../src/kubelet-lab/scenario.js';

const PROBE_NODE = 2;
const figures: Record<string, string> = {};

describe('deploy: install, egress, uninstall on real kubelets (flannel vxlan, agent --mode=vxlan)', function () {
  this.timeout(900_000);
  let lab: KubeletLab;
  let installStart = 0;

  before(async function () {
    lab = await KubeletLab.up({ nodes: 2, backend: 'vxlan' });
  });
  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await lab?.down({ keepLogs: failed });
    console.log(`  figures (vxlan): ${JSON.stringify(figures)}`);
  });

  it('installs in VXLAN mode and the pod on the other node leaves with the egress IP', async () => {
    installStart = await install(lab);
    const args = (await lab.kubectl(['-n', 'static-egress-system', 'get', 'daemonset', 'static-egress-agent', '-o',
      'jsonpath={.spec.template.spec.containers[0].args}'])).stdout;
    assert.match(args, /--mode=vxlan/);
    const { applied, first } = await applyEgress(lab, PROBE_NODE);
    figures.policyToFirstEgressPacketMs = String(first - applied);
    figures.installToFirstEgressPacketMs = String(first - installStart);
    await new Promise((r) => setTimeout(r, 3_000));
    const after = lab.echoLog(first + 1).map((e) => e.src);
    assert.ok(after.length > 5, `the probe kept running (${after.length} connections)`);
    assert.deepEqual(after.filter((s) => s !== EGRESS_IP), [], 'after the first egress packet every connection carries the egress IP');
    assert.deepEqual((await lab.holders()).get(EGRESS_IP), [lab.nodeName(1)]);
  });

  it('uninstall as documented: no trace of ours on any node (VXLAN device included), pods egress normally', async () => {
    const traces = await uninstall(lab);
    figures.uninstallResidue = String(traces.length);
    assert.deepEqual(traces, [], 'uninstall residue');
    await waitNodeEgress(lab, PROBE_NODE);
  });
});
