// Both address families in one scenario body (issue 11). A suite describes one block per family mode
// — the IPv4-only lab (as before) and the dual-stack lab — and each scenario runs over the mode's
// families: IPv4's destination must see the IPv4 egress IP, IPv6's the IPv6 one, and no family may
// ever leave with a node address. What a family differs in (destinations, egress IPs, node and pod
// addresses, the pool's range) is here; the lab's IPv6 address plan is lab/ipv6.ts.
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import * as A from './lab/addressing.js';
import { ECHO_IP6, ECHO_IP6_2, EGRESS_POOL_CIDR6, EXTERNAL_CIDR6, nodeIP6, type LabIPFamily } from './lab/ipv6.js';
import type { Lab, LabPod } from './lab/lab.js';
import type { Probe } from './lab/observe.js';
import { formatProbeReport, type ProbeRecord, type ProbeReport } from './lab/probe-analysis.js';
import { sleep, waitFor } from './lab/wait.js';
import { ADMITTED_LABEL, POOL_NAME, loseNode } from './scenario.js';

export interface Family {
  readonly name: LabIPFamily;
  /** the echo server's first and second address of the family */
  readonly echo: string;
  readonly echo2: string;
  readonly externalCIDR: string;
  /** a host's prefix length: 32 or 128 */
  readonly hostLen: number;
  /** the family's range of the lab's pool */
  readonly pool: { cidr: string; reserved?: string[] };
  /** The k-th (k ≥ 0) egress IP of the family: 192.0.2.100+k, 2001:db8:0:2::101+k. */
  egressIP(k: number): string;
  nodeIP(i: number): string;
  podIP(pod: LabPod): string;
}

export const IPV4: Family = {
  name: 'IPv4', echo: A.ECHO_IP, echo2: A.ECHO_IP_2, externalCIDR: A.EXTERNAL_CIDR, hostLen: 32,
  pool: { cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] },
  egressIP: (k) => `192.0.2.${100 + k}`,
  nodeIP: A.nodeIP,
  podIP: (p) => p.ip,
};

export const IPV6: Family = {
  name: 'IPv6', echo: ECHO_IP6, echo2: ECHO_IP6_2, externalCIDR: EXTERNAL_CIDR6, hostLen: 128,
  // its first address (::100, the subnet-router anycast address) is never an egress IP
  pool: { cidr: EGRESS_POOL_CIDR6 },
  egressIP: (k) => `2001:db8:0:2::${(0x101 + k).toString(16)}`,
  nodeIP: nodeIP6,
  podIP: (p) => {
    if (!p.ip6) throw new Error(`pod ${p.namespace}/${p.name} has no IPv6 address (is the lab dual stack?)`);
    return p.ip6;
  },
};

export interface FamilyMode {
  /** for the describe block's title */
  readonly name: string;
  /** the lab's ipFamilies option */
  readonly ipFamilies: LabIPFamily[];
  readonly families: readonly Family[];
}

export const IPV4_ONLY: FamilyMode = { name: 'IPv4 only', ipFamilies: ['IPv4'], families: [IPV4] };
export const DUAL_STACK: FamilyMode = { name: 'dual stack', ipFamilies: ['IPv4', 'IPv6'], families: [IPV4, IPV6] };
/** The modes every family-aware suite runs in: IPv4 only stays covered as before, dual stack beside it. */
export const FAMILY_MODES: readonly FamilyMode[] = [IPV4_ONLY, DUAL_STACK];

/** The k-th egress IP of every family of the mode. */
export function egressIPsOf(mode: FamilyMode, k: number): string[] {
  return mode.families.map((f) => f.egressIP(k));
}

/** Every node's address of every family of the mode: what the external server must never see. */
export function nodeAddressesOf(lab: Lab, mode: FamilyMode): string[] {
  return mode.families.flatMap((f) => lab.nodeIndexes.map((i) => f.nodeIP(i)));
}

export function podAddressesOf(mode: FamilyMode, pods: readonly LabPod[]): string[] {
  return pods.flatMap((p) => mode.families.map((f) => f.podIP(p)));
}

/** The usual pool (scenario.ts' applyStandardPool) with a range of every family of the mode. */
export async function applyFamilyPool(lab: Lab, mode: FamilyMode): Promise<void> {
  await lab.applyPool({
    name: POOL_NAME, cidrs: mode.families.map((f) => f.pool),
    namespaceSelector: { matchLabels: ADMITTED_LABEL },
    nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
  });
}

/** The nodes holding any of `ips` by `assigned`, each once, in the order of `ips`. */
export function holdersOf(assigned: ReadonlyMap<string, string>, ips: readonly string[]): string[] {
  return [...new Set(ips.map((ip) => {
    const n = assigned.get(ip);
    if (!n) throw new Error(`${ip} is not assigned`);
    return n;
  }))];
}

/** Waits until `ip` is on exactly one live node that is not in `notOn` (the kernels, not the status). */
export function waitHeldElsewhere(lab: Lab, ip: string, notOn: readonly string[], timeoutMs = 60_000): Promise<string> {
  return waitFor(`${ip} on a node other than ${notOn.join(', ')}`, async () => {
    const held = ((await lab.holders()).get(ip) ?? []).filter((n) => !notOn.includes(n));
    return held.length === 1 ? held[0] : undefined;
  }, timeoutMs, 50);
}

/** Polls until the pod's connections to each family's `dst` (its first echo address) leave with `want(family)`. */
export async function waitSources(lab: Lab, pod: LabPod, mode: FamilyMode, want: (f: Family) => string,
  opts: { dst?: (f: Family) => string; timeoutMs?: number } = {}): Promise<void> {
  for (const f of mode.families) {
    await lab.waitSourceIP(pod, want(f), { dst: (opts.dst ?? ((x) => x.echo))(f), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  }
}

/** One connection per family, now: each family's `dst` sees `want(family)`. */
export async function assertSources(lab: Lab, pod: LabPod, mode: FamilyMode, want: (f: Family) => string,
  opts: { dst?: (f: Family) => string; why?: string } = {}): Promise<void> {
  for (const f of mode.families) {
    const dst = (opts.dst ?? ((x) => x.echo))(f);
    assert.equal(await lab.sourceIPSeen(pod, dst), want(f), `${pod.name} → ${dst} (${f.name})${opts.why ? `: ${opts.why}` : ''}`);
  }
}

export interface FamilyReport { family: Family; report: ProbeReport & { record: ProbeRecord } }

/** A continuous probe per family from one pod to that family's echo server. */
export class FamilyProbes {
  private constructor(private readonly probes: readonly (readonly [Family, Probe])[]) {}

  /**
   * Starts them and lets them run `warmMs`, or (without it) until the external server has seen each
   * one's first datagram — the prober's start-up — so a short window still sees traffic.
   */
  static async start(lab: Lab, pod: LabPod, mode: FamilyMode, opts: { mode?: 'udp' | 'stream'; intervalMs?: number; warmMs?: number } = {}): Promise<FamilyProbes> {
    const since = Date.now();
    const p = new FamilyProbes(mode.families.map((f) => [f, lab.startProbe(pod, {
      ...(opts.mode ? { mode: opts.mode } : {}), ...(opts.intervalMs ? { intervalMs: opts.intervalMs } : {}), target: f.echo,
    })] as const));
    if (opts.warmMs !== undefined) await sleep(opts.warmMs);
    else {
      const proto = opts.mode ?? 'udp';
      await waitFor(`${pod.name}'s probes to reach ${mode.families.map((f) => f.echo).join(' and ')}`, () => {
        const seen = new Set(lab.echoLog(since).filter((e) => e.proto === proto).map((e) => e.dst));
        return mode.families.every((f) => seen.has(f.echo));
      }, 15_000, 50);
    }
    return p;
  }

  /** Stops every probe; `expected(family)` is the source (or sources) its replies may carry. Prints each report. */
  async stop(title: string, expected: (f: Family) => string | string[]): Promise<FamilyReport[]> {
    const out: FamilyReport[] = [];
    for (const [family, probe] of this.probes) {
      const report = await probe.stopAndAnalyze(expected(family));
      console.log(`      ${family.name} ${title}: ${formatProbeReport(report)}`);
      out.push({ family, report });
    }
    return out;
  }
}

/** What the probes must never show, in words (empty: nothing): a reply with a source it may not carry, or no reply at all. */
export function probeFaults(reports: readonly FamilyReport[]): string[] {
  const out: string[] = [];
  for (const { family, report: r } of reports) {
    if (r.wrongReplies > 0) out.push(`${family.name} replies with another source: ${JSON.stringify(r.wrongSources)}`);
    if (r.answered === 0) out.push(`${family.name} probe: no reply at all (${r.sent} sent)`);
  }
  return out;
}

/** Node addresses of any family of the mode the external server saw since `since` (must stay empty where every pod is behind a policy). */
export function nodeAddressesSeen(lab: Lab, mode: FamilyMode, since: number): string[] {
  const nodes = new Set(nodeAddressesOf(lab, mode));
  return [...new Set(lab.echoLog(since).filter((e) => nodes.has(e.src)).map((e) => e.src))];
}

/** Lost nodes back (link up, agent started, healthy), for the scenarios that follow. */
export async function returnNodes(lab: Lab, nodes: readonly string[]): Promise<void> {
  const idx = nodes.map((n) => lab.nodeIndex(n));
  for (const i of idx) {
    await lab.restoreNode(i);
    lab.startAgent(i);
  }
  await lab.waitAgentsHealthy(idx);
}

/** The policy of startClientBehindPolicyIn. */
export const CLIENT_POLICY = { namespace: 'shop', name: 'db-access' } as const;

/**
 * scenario.ts' startClientBehindPolicy in every family of the mode: the family pool, a client pod on
 * node 1 selected by shop/db-access with egress IP 0 of each family to each family's external range,
 * and traffic already leaving with them. Returns the pod and ip → the node holding it.
 */
export async function startClientBehindPolicyIn(lab: Lab, mode: FamilyMode): Promise<{ client: LabPod; assigned: Map<string, string> }> {
  await applyFamilyPool(lab, mode);
  await lab.ensureNamespace(CLIENT_POLICY.namespace, ADMITTED_LABEL);
  const client = await lab.addPod({ namespace: CLIENT_POLICY.namespace, name: 'client', node: 1, labels: { app: 'client' } });
  await lab.applyPolicy({
    ...CLIENT_POLICY, egressIPs: egressIPsOf(mode, 0), podSelector: { matchLabels: { app: 'client' } },
    destinationCIDRs: mode.families.map((f) => f.externalCIDR),
  });
  const assigned = await lab.waitAssigned(CLIENT_POLICY.namespace, CLIENT_POLICY.name, 90_000);
  await waitSources(lab, client, mode, (f) => f.egressIP(0));
  return { client, assigned };
}

/**
 * scenario.ts' loseGatewayUnderProbe for every family of the mode: a probe per family runs from
 * `pod`, every node holding one of the policy's egress IPs `k` is lost the hard way (link cut,
 * agent killed), and the probes keep running `settleMs` after each IP is on another node.
 */
export async function loseGatewaysUnderProbe(lab: Lab, pod: LabPod, policy: { namespace: string; name: string }, mode: FamilyMode, k: number,
  probe: { mode: 'udp' | 'stream'; intervalMs: number; settleMs: number; title: string }) {
  const ips = egressIPsOf(mode, k);
  const lost = holdersOf(await lab.waitAssigned(policy.namespace, policy.name), ips);
  const since = Date.now();
  const probes = await FamilyProbes.start(lab, pod, mode, { mode: probe.mode, intervalMs: probe.intervalMs, warmMs: 2_000 });
  const cut = Date.now();
  for (const n of lost) await loseNode(lab, lab.nodeIndex(n));
  const next = new Map(await Promise.all(ips.map(async (ip) => [ip, await waitHeldElsewhere(lab, ip, lost)] as const)));
  const movedAt = Date.now();
  console.log(`      ${lost.join(', ')} lost; ${ips.map((ip) => `${ip} on ${next.get(ip)}`).join(', ')} after ${movedAt - cut} ms (ip addr polling)`);
  await sleep(probe.settleMs);
  const reports = await probes.stop(probe.title, (f) => f.egressIP(k));
  return { lost, next, since, movedAt, reports };
}
