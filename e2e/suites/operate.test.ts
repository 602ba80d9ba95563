// Operating it in the lab (issue 10): `kubectl egress trace` gives the verdict the external server
// confirms — a selected pod, an unselected pod, a destination outside the policy, a policy with no
// gateway — and the Programmed condition follows the agents: False naming the node while its agent
// is stopped, True again once it runs. One lab: node-1 runs pods only, node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import { runCli } from '../../packages/gateway-manager/src/cli/egressctl.js';
import {
  ADMITTED_LABEL, EGRESS_IP, addr as A, applyStandardPool, useLab, waitFor, type LabPod,
} from '../src/scenario.js';

interface Trace { outcome: string; verdict: string; egressIP?: string; gateway?: string }

describe('operating it: trace and Programmed (issue 10)', function () {
  const h = useLab({ nodes: 3, managers: 1, gatewayNodes: [2, 3] });
  let selected: LabPod;
  let unselected: LabPod;
  let stranded: LabPod;

  async function trace(pod: LabPod, destination: string): Promise<{ code: number; trace: Trace }> {
    let out = '';
    let err = '';
    const code = await runCli(['--kubeconfig', h.lab.cluster.adminKubeconfigPath, 'trace', `${pod.namespace}/${pod.name}`, destination, '-o', 'json'],
      { out: (s) => { out += s; }, err: (s) => { err += s; } });
    assert.ok(out, `trace printed nothing (exit ${code}): ${err}`);
    return { code, trace: (JSON.parse(out) as { items: Trace[] }).items[0]! };
  }

  const programmed = async (name: string) =>
    (await h.lab.getPolicy('shop', name))?.status?.conditions?.find((c) => c.type === 'Programmed');

  before(async function () {
    const lab = h.lab;
    await applyStandardPool(lab);
    // A pool no node may serve: its policy's IP has no gateway, and its pods are dropped (fail-closed).
    await lab.applyPool({
      name: 'nowhere', cidrs: [{ cidr: '192.0.2.240/29' }], namespaceSelector: { matchLabels: ADMITTED_LABEL },
      nodeSelector: { matchLabels: { 'example.com/no-such-node': 'true' } },
    });
    await lab.ensureNamespace('shop', ADMITTED_LABEL);
    selected = await lab.addPod({ namespace: 'shop', name: 'client', node: 1, labels: { app: 'client' } });
    unselected = await lab.addPod({ namespace: 'shop', name: 'bystander', node: 1, labels: { app: 'bystander' } });
    stranded = await lab.addPod({ namespace: 'shop', name: 'stranded', node: 1, labels: { app: 'stranded' } });
    await lab.applyPolicy({
      namespace: 'shop', name: 'db-access', egressIPs: [EGRESS_IP], podSelector: { matchLabels: { app: 'client' } },
      destinationCIDRs: [`${A.ECHO_IP}/32`],
    });
    await lab.applyPolicy({
      namespace: 'shop', name: 'stranded', egressIPs: ['192.0.2.241'], podSelector: { matchLabels: { app: 'stranded' } },
    });
    await lab.waitAssigned('shop', 'db-access', 90_000);
    await lab.waitSourceIP(selected, EGRESS_IP, { dst: A.ECHO_IP });
  });

  it('trace: a selected pod leaves as the egress IP via its gateway, as the external server sees', async () => {
    const holder = (await h.lab.waitAssigned('shop', 'db-access')).get(EGRESS_IP);
    const { code, trace: t } = await trace(selected, A.ECHO_IP);
    console.log(`      ${t.verdict}`);
    assert.equal(code, 0);
    assert.equal(t.outcome, 'egress-ip');
    assert.equal(t.verdict, `leaves as ${EGRESS_IP} via ${holder}`);
    assert.equal(await h.lab.sourceIPSeen(selected, A.ECHO_IP), EGRESS_IP);
  });

  it('trace: an unselected pod, and a destination outside the policy, leave with the node IP', async () => {
    const other = await trace(unselected, A.ECHO_IP);
    console.log(`      ${other.trace.verdict}`);
    assert.deepEqual([other.code, other.trace.outcome], [0, 'node-ip']);
    assert.equal(await h.lab.sourceIPSeen(unselected, A.ECHO_IP), A.nodeIP(1));

    const outside = await trace(selected, A.ECHO_IP_2);
    console.log(`      ${outside.trace.verdict}`);
    assert.deepEqual([outside.code, outside.trace.outcome], [0, 'node-ip']);
    assert.match(outside.trace.verdict, new RegExp(A.ECHO_IP_2.replaceAll('.', '\\.')));
    assert.equal(await h.lab.sourceIPSeen(selected, A.ECHO_IP_2), A.nodeIP(1));
  });

  it('trace: a policy with no gateway is dropped (exit 5), and nothing reaches the server', async () => {
    await waitFor('stranded: Ready=False', async () => {
      const c = (await h.lab.getPolicy('shop', 'stranded'))?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' || undefined;
    }, 60_000, 200);
    const { code, trace: t } = await trace(stranded, A.ECHO_IP);
    console.log(`      ${t.verdict}`);
    assert.deepEqual([code, t.outcome], [5, 'dropped']);
    assert.match(t.verdict, /dropped: no gateway holds 192\.0\.2\.241/);
    await assert.rejects(h.lab.sourceIPSeen(stranded, A.ECHO_IP), 'a dropped pod must not reach the server with any source');
  });

  it('Programmed: False naming the director while its agent is stopped, True again once it runs', async () => {
    const lab = h.lab;
    await waitFor('db-access: Programmed=True', async () => ((await programmed('db-access'))?.status === 'True') || undefined, 60_000, 200);
    await lab.killAgent(1, 'SIGTERM');
    const off = await waitFor('Programmed=False naming node-1', async () => {
      const c = await programmed('db-access');
      return c?.status === 'False' ? c : undefined;
    }, 60_000, 200);
    console.log(`      stopped: ${off.reason}: ${off.message}`);
    assert.match(off.message ?? '', /the agent on node node-1 \(pod shop\/client\) is stopped/);
    assert.equal(await lab.sourceIPSeen(selected, A.ECHO_IP), EGRESS_IP, 'the kernel keeps forwarding while the agent is away');

    lab.startAgent(1);
    await lab.waitAgentsHealthy([1]);
    const on = await waitFor('Programmed=True again', async () => {
      const c = await programmed('db-access');
      return c?.status === 'True' ? c : undefined;
    }, 60_000, 200);
    console.log(`      running: ${on.reason}: ${on.message}`);
  });
});
