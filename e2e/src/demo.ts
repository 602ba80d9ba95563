// npm run demo — the product's main job on one machine, in a few minutes:
//   1. checks the system tools (installs them with apt-get when root, else says what to run);
//   2. builds or finds kube-apiserver, etcd and kubectl (tools/k8s/build.sh, cached);
//   3. brings the lab up: 3 nodes (node-1 runs the pod, node-2 and node-3 are gateways), 2 managers;
//   4. shows the source address the external server sees before (node IP) and after (egress IP) a
//      StaticEgressIP is applied;
//   5. loses the gateway node (LAN link cut, agent killed) under a continuous UDP probe from the pod,
//      and prints the failover gap and whether any reply ever carried another source;
//   6. shows the new holder and tears everything down (also on failure and Ctrl-C).
import { execa } from 'execa';
import { resolveK8sBinaries } from './k8s/binaries.js';
import * as A from './lab/addressing.js';
import { summarizeEchoLog } from './lab/echo-log.js';
import { Lab, sleep, waitFor, type LabPod } from './lab/lab.js';
import { formatProbeReport, type ProbeReport } from './lab/probe-analysis.js';
import { renderStatus } from './lab/status.js';
import { ADMITTED_LABEL, EGRESS_IP, applyStandardPool, loseNode, waitMoved } from './scenario.js';

const TOOLS: [cmd: string, pkg: string][] = [
  ['ip', 'iproute2'], ['iptables', 'iptables'], ['ipset', 'ipset'], ['arping', 'iputils-arping'],
  ['socat', 'socat'], ['conntrack', 'conntrack'], ['nft', 'nftables'],
];

const t0 = Date.now();
const step = (s: string): void => console.log(`\n== ${s}  (+${((Date.now() - t0) / 1000).toFixed(1)} s)`);
const info = (s: string): void => console.log(`   ${s}`);

async function missingTools(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const [cmd, pkg] of TOOLS) {
    const r = await execa('sh', ['-c', `command -v ${cmd}`], { reject: false });
    if (r.exitCode !== 0) out.push([cmd, pkg]);
  }
  return out;
}

async function checkSystem(): Promise<void> {
  step('checking system tools');
  let missing = await missingTools();
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  if (process.getuid?.() !== 0) {
    throw new Error('the lab creates network namespaces: run the demo as root (sudo npm run demo)' +
      (missing.length ? `; missing tools: sudo apt-get install -y ${pkgs.join(' ')}` : ''));
  }
  if (missing.length) {
    const hasApt = (await execa('sh', ['-c', 'command -v apt-get'], { reject: false })).exitCode === 0;
    if (!hasApt) throw new Error(`missing ${missing.map(([c]) => c).join(', ')}: install the packages ${pkgs.join(' ')}`);
    info(`installing ${pkgs.join(' ')} with apt-get`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    await execa('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
    await execa('apt-get', ['install', '-y', '-qq', ...pkgs], { env, stdio: 'inherit' });
    missing = await missingTools();
    if (missing.length) throw new Error(`still missing after apt-get: ${missing.map(([c]) => c).join(', ')}`);
  }
  info(`ok: ${TOOLS.map(([c]) => c).join(', ')}`);
}

async function findK8sBinaries(): Promise<void> {
  step('kube-apiserver, etcd, kubectl (built once from the Go module proxy, then cached)');
  const bins = await resolveK8sBinaries().catch((err: Error) => {
    throw new Error(`${err.message}\n   the first run builds kube-apiserver and etcd with Go (with access to the Go module ` +
      'proxy): install Go, then run `npm run k8s:build` (takes minutes on two cores)');
  });
  info(bins.dir);
}

/** Applies the pool and the policy; returns the gateway that holds the egress IP and the source seen then. */
async function applyEgress(lab: Lab, pod: LabPod): Promise<{ holder: string; after: string }> {
  step('applying an EgressIPPool and a StaticEgressIP');
  await applyStandardPool(lab);
  await lab.applyPolicy({
    namespace: 'shop', name: 'db-access', egressIPs: [EGRESS_IP],
    podSelector: { matchLabels: { app: 'web' } }, destinationCIDRs: [A.EXTERNAL_CIDR],
  });
  info(`pool lan: ${A.EGRESS_POOL_CIDR} for namespaces labelled egress=allowed, nodes labelled staticegress.io/gateway`);
  info(`policy shop/db-access: pods app=web → ${A.EXTERNAL_CIDR} leave as ${EGRESS_IP}`);
  const assigned = await lab.waitAssigned('shop', 'db-access', 90_000);
  const holder = assigned.get(EGRESS_IP) ?? '?';
  info(`assigned: ${EGRESS_IP} → ${holder}`);

  step('after: what the external server sees');
  // The director programs its redirect a moment after the gateway took the address.
  const after = await waitFor('the egress IP to be seen', async () => {
    const src = await lab.sourceIPSeen(pod);
    return src === EGRESS_IP ? src : undefined;
  }, 30_000, 300).catch(() => lab.sourceIPSeen(pod));
  info(`${pod.ip} → ${A.ECHO_IP}: the server sees ${after}` + (after === EGRESS_IP ? '   ✓ the egress IP' : '   ✗ NOT the egress IP'));
  return { holder, after };
}

/** Loses the gateway under a continuous probe; returns the new holder and what the probe saw. */
async function failover(lab: Lab, pod: LabPod, holder: string): Promise<{ newHolder: string; report: ProbeReport }> {
  step(`failover: losing the gateway ${holder} under a continuous probe (UDP every 5 ms from the pod)`);
  const probe = lab.startProbe(pod, { mode: 'udp', intervalMs: 5 });
  await sleep(2_000);
  const cutAt = Date.now();
  await loseNode(lab, lab.nodeIndex(holder));
  info(`${holder}: LAN link cut and node-agent killed (SIGKILL)`);
  const newHolder = await waitMoved(lab, EGRESS_IP, holder, 90_000);
  info(`${EGRESS_IP} now on ${newHolder} (${Date.now() - cutAt} ms after the cut, as seen by polling ip addr)`);
  await sleep(3_000);
  const report = await probe.stopAndAnalyze(EGRESS_IP);
  info(formatProbeReport(report));
  return { newHolder, report };
}

/** The demo proper, on a lab that is up; true when the egress IP was seen throughout. */
async function runDemo(lab: Lab, since: number): Promise<boolean> {
  await lab.ensureNamespace('shop', ADMITTED_LABEL);
  const pod = await lab.addPod({ namespace: 'shop', name: 'web-1', node: 1, labels: { app: 'web' } });

  step('before: what the external server sees from pod shop/web-1');
  const before = await lab.sourceIPSeen(pod);
  info(`${pod.ip} on node-1 → ${A.ECHO_IP}: the server sees ${before}   (node-1's address, via the CNI's masquerade)`);

  const { holder, after } = await applyEgress(lab, pod);
  const { newHolder, report } = await failover(lab, pod, holder);

  step('result');
  const nodeIPs = lab.nodeIndexes.map(A.nodeIP);
  const leaked = lab.echoLog(since).filter((e) => e.proto === 'udp' && nodeIPs.includes(e.src));
  console.log(`
   before the policy : ${before}
   with the policy   : ${after}
   gateway           : ${holder} → ${newHolder}
   FAILOVER GAP      : ${report.maxGapMs.toFixed(0)} ms (longest time without a correct reply; ${report.lost} of ${report.sent} probes lost)
   wrong source      : ${report.wrongReplies === 0 && leaked.length === 0 ? 'never — every reply carried ' + EGRESS_IP : `YES: ${JSON.stringify(report.wrongSources)}`}`);
  const final = await lab.sourceIPSeen(pod);
  info(`a new connection now: the server sees ${final}`);
  console.log(`\n${await renderStatus(lab)}`);
  const ok = after === EGRESS_IP && final === EGRESS_IP && report.wrongReplies === 0;
  if (!ok) console.log(`\nwhat the external server saw:\n${summarizeEchoLog(lab.echoLog(since))}`);
  return ok;
}

async function main(): Promise<void> {
  await checkSystem();
  await findK8sBinaries();

  step('bringing the lab up');
  const lab = await Lab.up({ nodes: 3, managers: 2, gatewayNodes: [2, 3] });
  let ok = false;
  const onSignal = (): void => { void lab.down().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const since = Date.now();
  try {
    ok = await runDemo(lab, since);
  } catch (err) {
    console.error(`\ndemo failed: ${(err as Error).message}`);
    console.error(`what the external server saw:\n${summarizeEchoLog(lab.echoLog(since))}`);
    try { console.error(`\n${await renderStatus(lab)}`); } catch { /* best effort */ }
  } finally {
    step('tearing down');
    await lab.down({ keepLogs: !ok });
  }
  step(ok ? 'demo complete' : 'demo FAILED (logs kept, see above)');
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
