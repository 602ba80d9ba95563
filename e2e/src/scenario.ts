// Shared pieces of the e2e suites and the demo: one lab per suite file (bring-up is the expensive part
// on two cores), the usual pool, gateway loss, and the "what the external server saw" report printed
// whenever a scenario fails.
import { GATEWAY_LABEL } from '@static-egress/crds';
import * as A from './lab/addressing.js';
import { summarizeEchoLog } from './lab/echo-log.js';
import { Lab, sleep, waitFor, type LabOptions, type LabPod } from './lab/lab.js';
import { formatProbeReport, type ProbeReport } from './lab/probe-analysis.js';

export { Lab, waitFor, sleep } from './lab/lab.js';
export type { LabPod } from './lab/lab.js';
export * as addr from './lab/addressing.js';
export { analyzeProbe, formatProbeReport, maxGapIn } from './lab/probe-analysis.js';
export { claimsOf, twoMacWindows, type ArpFrame } from './lab/arp.js';
export type { ProbeReport } from './lab/probe-analysis.js';

export const POOL_NAME = 'lan';
export const EGRESS_IP = '192.0.2.100';
export const EGRESS_IP_2 = '192.0.2.101';
export const ADMITTED_LABEL = { egress: 'allowed' };

export interface LabHandle {
  readonly lab: Lab;
  /** Wall-clock start of the current test, for reading the echo server's record. */
  readonly testStart: number;
}

/** mocha: a lab for the whole describe block; on a failed test prints what the external server saw. */
export function useLab(opts: LabOptions): LabHandle {
  let lab: Lab | undefined;
  let failed = false;
  let testStart = Date.now();
  before(async function () {
    this.timeout(600_000);
    lab = await Lab.up(opts);
  });
  beforeEach(() => { testStart = Date.now(); });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !lab) return;
    failed = true;
    console.error(`\n--- what the external server saw during "${this.currentTest.title}":\n` +
      summarizeEchoLog(lab.echoLog(testStart)));
    try {
      const { renderStatus } = await import('./lab/status.js');
      console.error(`--- lab status:\n${await renderStatus(lab)}`);
    } catch (err) {
      console.error(`(status unavailable: ${(err as Error).message})`);
    }
    console.error(`--- daemon logs in ${lab.logDir} (kept after teardown)`);
  });
  after(async function () {
    this.timeout(120_000);
    await lab?.down({ keepLogs: failed });
    lab = undefined;
  });
  return {
    get lab(): Lab {
      if (!lab) throw new Error('lab not up');
      return lab;
    },
    get testStart(): number { return testStart; },
  };
}

/** The usual pool: 192.0.2.96/27 (network address reserved), admits egress=allowed namespaces, gateway nodes. */
export async function applyStandardPool(lab: Lab): Promise<void> {
  await lab.applyPool({
    name: POOL_NAME,
    cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }],
    namespaceSelector: { matchLabels: ADMITTED_LABEL },
    nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
  });
}

/** Node loss as the issue defines it: LAN link cut and agent killed (SIGKILL). */
export async function loseNode(lab: Lab, i: number): Promise<void> {
  await lab.cutNode(i);
  await lab.killAgent(i, 'SIGKILL');
}

/** Waits until `ip` is held (status and kernel) by a node other than `notOn`; resolves that node. */
export async function waitMoved(lab: Lab, ip: string, notOn: string, timeoutMs = 60_000, everyMs = 50): Promise<string> {
  return waitFor(`${ip} to move away from ${notOn}`, async () => {
    const held = (await lab.holders()).get(ip) ?? [];
    const live = held.filter((n) => n !== notOn);
    return live.length === 1 ? live[0] : undefined;
  }, timeoutMs, everyMs);
}

export function nodeIPs(lab: Lab): string[] {
  return lab.nodeIndexes.map((i) => A.nodeIP(i));
}

/**
 * The common starting point of several suites: the standard pool, an admitted namespace `shop`, a
 * client pod on node 1 selected by `shop/db-access` (EGRESS_IP to the external range), and traffic
 * already leaving with the egress IP. Returns the pod and the node holding the IP.
 */
export async function startClientBehindPolicy(lab: Lab): Promise<{ client: LabPod; holder: string }> {
  await applyStandardPool(lab);
  await lab.ensureNamespace('shop', ADMITTED_LABEL);
  const client = await lab.addPod({ namespace: 'shop', name: 'client', node: 1, labels: { app: 'client' } });
  await lab.applyPolicy({
    namespace: 'shop', name: 'db-access', egressIPs: [EGRESS_IP], podSelector: { matchLabels: { app: 'client' } },
    destinationCIDRs: [A.EXTERNAL_CIDR],
  });
  const holder = (await lab.waitAssigned('shop', 'db-access', 90_000)).get(EGRESS_IP)!;
  await lab.waitSourceIP(client, EGRESS_IP);
  return { client, holder };
}

/**
 * The gateway-loss scenario shared by (d), (i) and (j/d): a probe runs from `pod`, the node holding
 * `egressIP` for `policy` is lost the hard way, and the probe keeps running `settleMs` after the IP
 * is seen on another node. Returns what the suites assert on.
 */
export async function loseGatewayUnderProbe(lab: Lab, pod: LabPod, policy: { namespace: string; name: string }, egressIP: string,
  probe: { mode: 'udp' | 'stream'; intervalMs: number; settleMs: number; title: string }) {
  const holder = (await lab.waitAssigned(policy.namespace, policy.name)).get(egressIP)!;
  const since = Date.now();
  const running = lab.startProbe(pod, { mode: probe.mode, intervalMs: probe.intervalMs });
  await sleep(2_000);
  const cut = Date.now();
  await loseNode(lab, lab.nodeIndex(holder));
  const next = await waitMoved(lab, egressIP, holder, 60_000);
  const movedAt = Date.now();
  console.log(`      ${holder} lost; ${egressIP} on ${next} after ${movedAt - cut} ms (ip addr polling)`);
  await sleep(probe.settleMs);
  const report = await running.stopAndAnalyze(egressIP);
  printReport(probe.title, report);
  return { holder, next, since, movedAt, report };
}

export function printReport(title: string, r: ProbeReport): void {
  console.log(`      ${title}: ${formatProbeReport(r)}`);
}

/** Source addresses the echo server saw from `sources` since `since` (e.g. node IPs that must never appear). */
export function sawAny(lab: Lab, since: number, sources: string[], proto?: string): string[] {
  return [...new Set(lab.echoLog(since).filter((e) => (!proto || e.proto === proto) && sources.includes(e.src))
    .map((e) => e.src))];
}

export function podOn(lab: Lab, name: string): LabPod {
  const p = lab.listPods().find((x) => x.name === name);
  if (!p) throw new Error(`no pod ${name}`);
  return p;
}
