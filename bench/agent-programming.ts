// Agent programming cost (issue 3): in a fresh network namespace, program many policies × pods on
// one node from empty, then one incremental pod add; baseline (same run): hand-written minimal
// `ipset restore` + `iptables-restore` + `ip -batch` of the same marks, sets, rules and routes.
// Also the agent's RSS with 10,000 pods in its caches.
//
// Address space: only the documentation ranges may be used, which hold 768 addresses — fewer than
// 1,000 distinct egress IPs. So the kernel run programs POLICIES (≤ 768) policies × PODS pods with
// ~10,000 pod entries in total, pod IPs reused across sets (a set member costs the same either
// way), and reports the per-policy cost and its linear extrapolation to 1,000 policies. The pure
// part (compute + render) runs at 1,000 × 10.
//
// `node --import tsx bench/agent-programming.ts [--quick]` writes bench/results/agent-programming-<date>.json
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { pinEgressIP } from '@static-egress/crds';
import { computeNodeState } from '../packages/node-agent/src/desired/compute.js';
import type { NodeState, NodeStateInput, PolicyView, PodView } from '../packages/node-agent/src/desired/types.js';
import { renderState } from '../packages/node-agent/src/render/state.js';
import { figure, type BenchOptions, type BenchResult } from './lib/types.js';
import { percentile } from './lib/stats.js';
import { renderSameObjects } from './lib/same-objects.js';

const REPO = join(import.meta.dirname, '..');
const RANGES = { markMask: 0x03ff0000, tableMin: 5000, tableMax: 6023, priorityMin: 5000, priorityMax: 6023 };
const RENDER = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };

/** The i-th usable documentation address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), i < 764. */
const DOC_IPS = ['192.0.2', '198.51.100', '203.0.113'].flatMap((n) => Array.from({ length: 256 }, (_, i) => `${n}.${i}`))
  // the uplink's own subnet address, broadcast, node IP and peer node IP are no gateways
  .filter((ip) => !['192.0.2.0', '192.0.2.255', '192.0.2.11', '192.0.2.12'].includes(ip));
export function docIP(i: number): string {
  return DOC_IPS[i]!;
}

/** policies × podsPerPolicy local pods, every egress IP held by another node (direct mode). */
export function benchInput(policies: number, totalPods: number, egressIP: (i: number) => string, extraPod?: boolean): NodeStateInput {
  const pols: PolicyView[] = [];
  const pods: PodView[] = [];
  const selection = new Map<string, string[]>();
  for (let p = 0; p < policies; p++) {
    const ip = egressIP(p);
    pols.push({ key: `ns${p % 50}/p${p}`, egressIPs: [ip], destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: ['198.51.100.7/32'], assignments: new Map([[ip, 'other']]) });
  }
  for (let k = 0; k < totalPods + (extraPod ? 1 : 0); k++) {
    const p = k % policies;
    const key = `ns${p % 50}/pod${k}`;
    pods.push({ key, uid: `uid-${k}`, nodeName: 'bench', podIP: `203.0.113.${k % 256}` });
    selection.set(key, [`ns${p % 50}/p${p}`]);
  }
  return {
    nodeName: 'bench', nodeIP: '192.0.2.11', mode: 'direct', policies: pols,
    authorizedIPs: new Map(pols.map((p) => [p.key, p.egressIPs])), selection, pods,
    nodes: new Map([['bench', '192.0.2.11'], ['other', '192.0.2.12']]), clusterCIDRs: ['203.0.113.224/27'],
    ranges: RANGES, pin: pinEgressIP,
  };
}

/** Hand-written minimal equivalent: sets created in place, one flat chain, `ip -batch` rules/routes. */
function baselineTexts(state: NodeState): { ipset: string; iptables: string; ip: string } {
  const ipset: string[] = [];
  const mangle = ['*mangle', ':SEGRESS-MARK - [0:0]', '-A PREROUTING -j SEGRESS-MARK'];
  const ip: string[] = [];
  const marks: { prefix: number; rule: string }[] = [];
  for (const d of state.director) {
    const set = `segress-d-${d.slot}`;
    ipset.push(`create ${set} hash:ip`, ...d.podIPs.map((m) => `add ${set} ${m}`));
    for (const cidr of d.destinationCIDRs) {
      marks.push({ prefix: Number(cidr.split('/')[1]), rule: `-A SEGRESS-MARK -m set --match-set ${set} src -d ${cidr} -j MARK --set-xmark 0x${d.mark.toString(16)}/0x3ff0000` });
    }
    ip.push(`rule add fwmark 0x${d.mark.toString(16)}/0x3ff0000 table ${d.table} priority ${d.priority}`, `route add default via ${d.egressIP} dev eth0 onlink table ${d.table}`);
  }
  // per destination (issue 9): one mark rule per (set, prefix), least specific first: the last match (most specific) marks
  mangle.push(...marks.sort((a, b) => a.prefix - b.prefix).map((m) => m.rule));
  mangle.push('COMMIT', '*nat', ':SEGRESS-SKIP - [0:0]', '-I POSTROUTING 1 -j SEGRESS-SKIP', '-A SEGRESS-SKIP -m mark ! --mark 0x0/0x3ff0000 -j ACCEPT', 'COMMIT');
  return { ipset: `${ipset.join('\n')}\n`, iptables: `${mangle.join('\n')}\n`, ip: `${ip.join('\n')}\n` };
}

async function withNamespace<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `sek${randomBytes(2).toString('hex')}-bench`;
  await execa('ip', ['netns', 'add', ns]);
  const onSig = () => { void execa('ip', ['netns', 'del', ns], { reject: false }).finally(() => process.exit(130)); };
  process.once('SIGINT', onSig);
  try {
    await execa('ip', ['netns', 'exec', ns, 'sh', '-ec', 'ip link set lo up; ip link add eth0 type veth peer name eth0p; ip addr add 192.0.2.11/24 dev eth0; ip link set eth0 up; ip link set eth0p up']);
    return await fn(ns);
  } finally {
    process.off('SIGINT', onSig);
    await execa('ip', ['netns', 'del', ns], { reject: false });
  }
}

class Driver {
  private readonly proc: ResultPromise;
  private readonly waiting: ((l: string) => void)[] = [];
  constructor(ns: string) {
    this.proc = execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(REPO, 'packages/node-agent/src/apply-cli.ts'),
      '--uplink', 'eth0', '--fwmark', '0x03ff0000', '--table-range', '5000-6023', '--rule-priority', '5000-6023'], { cwd: REPO, reject: false, stdin: 'pipe', stderr: 'inherit' });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
    // a dead applier answers every pending call with an error instead of leaving it hanging
    void this.proc.then((r) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ ok: false, error: `applier exited (${r.exitCode ?? r.signal})` }));
    });
  }
  call(cmd: object): Promise<{ ok: boolean; ms: number; rss: number; error?: string; result: { renderMs?: number; phases?: Record<string, number> } }> {
    return new Promise((resolve) => {
      this.waiting.push((l) => resolve(JSON.parse(l)));
      this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }
  async close() { this.proc.stdin!.end(); await this.proc; }
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * RSS of a process that holds 10,000 pods as API objects and computes + renders from them, bundled
 * like the shipped daemon (esbuild, no tsx); baseline: an empty node process.
 */
async function measureRSS(): Promise<{ rssMB: number; heapMB: number; peakRssMB: number; emptyNodeMB: number }> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'sek-rss-'));
  try {
    const out = join(dir, 'child.mjs');
    await build({ entryPoints: [join(REPO, 'bench/agent-rss-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'error',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
    const r = await execa(process.execPath, ['--expose-gc', ...shippedNodeFlags(), out]);
    const empty = await execa(process.execPath, [...shippedNodeFlags(), '-e', 'console.log(process.memoryUsage().rss)']);
    return { ...(JSON.parse(String(r.stdout).trim()) as { rssMB: number; heapMB: number; peakRssMB: number }), emptyNodeMB: Number(empty.stdout) / 2 ** 20 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the kernel runs measured, each run appending to the lists. */
export interface KernelRuns {
  agentFull: number[];
  agentRender: number[];
  incr: number[];
  incrRender: number[];
  incrKernelRuns: number[];
  baseFull: number[];
  baseIncr: number[];
  /** the agent's own objects written by hand (lib/same-objects.ts) */
  sameFull: number[];
  /** creating the agent's sets, empty: in a fresh namespace, then again once its set index has grown */
  createCold: number[];
  createWarm: number[];
  phases: Record<string, number>[];
  driverRSS: number;
}

/** The agent's syncer in a fresh namespace: a full apply from empty, then one pod added. */
export async function measureAgent(state: NodeState, withExtra: NodeState, k: KernelRuns): Promise<void> {
  await withNamespace(async (ns) => {
    const d = new Driver(ns);
    try {
      const a = await d.call({ op: 'sync', state });
      if (!a.ok) throw new Error(a.error);
      k.agentFull.push(a.ms);
      k.agentRender.push(a.result.renderMs ?? 0);
      k.phases.push(a.result.phases ?? {});
      const b = await d.call({ op: 'sync', state: withExtra });
      if (!b.ok) throw new Error(b.error);
      k.incr.push(b.ms);
      k.incrRender.push(b.result.renderMs ?? 0);
      k.incrKernelRuns.push(Object.values(b.result.phases ?? {}).reduce((x, y) => x + y, 0));
      k.phases.push(b.result.phases ?? {});
      k.driverRSS = Math.max(k.driverRSS, b.rss);
    } finally {
      await d.close();
    }
  });
}

/** The hand-written minimal baseline in a fresh namespace: the same full apply, then the same one add. */
export async function measureBaseline(state: NodeState, withExtra: NodeState, k: KernelRuns): Promise<void> {
  await withNamespace(async (ns) => {
    const t = baselineTexts(state);
    const exec = (cmd: string[], input: string) => execa('ip', ['netns', 'exec', ns, ...cmd], { input });
    k.baseFull.push(await timeMs(async () => {
      await exec(['ipset', 'restore'], t.ipset);
      await exec(['iptables-restore', '--noflush'], t.iptables);
      await exec(['ip', '-batch', '-'], t.ip);
    }));
    const pod = withExtra.director.find((x) => x.podIPs.length !== state.director.find((y) => y.egressIP === x.egressIP)!.podIPs.length)!;
    k.baseIncr.push(await timeMs(() => exec(['ipset', 'restore'], `add segress-d-${pod.slot} 203.0.113.250\n`)));
  });
}

/** The agent's own objects of the same full apply, fed to the tools by hand in its safety order, in a fresh namespace. */
async function measureSameObjects(state: NodeState, k: KernelRuns): Promise<void> {
  const t = renderSameObjects(renderState(state, RENDER), RENDER);
  await withNamespace(async (ns) => {
    const exec = (cmd: string[], input: string) => execa('ip', ['netns', 'exec', ns, ...cmd], { input });
    k.sameFull.push(await timeMs(async () => {
      await exec(['ipset', 'restore'], t.ipset);
      await exec(['ip', '-batch', '-'], t.ip);
      await exec(['nft', '-f', '-'], t.nft);
      for (const text of t.iptables) await exec(['iptables-restore', '-w', '5', '--noflush'], text);
    }));
  });
  // where the set time goes: the same creates (no members) cold, destroyed, then again
  const creates = `${t.ipset.split('\n').filter((l) => l.startsWith('create ')).join('\n')}\n`;
  await withNamespace(async (ns) => {
    const exec = (cmd: string[], input = '') => execa('ip', ['netns', 'exec', ns, ...cmd], { input });
    k.createCold.push(await timeMs(() => exec(['ipset', 'restore'], creates)));
    await exec(['ipset', 'destroy']);
    k.createWarm.push(await timeMs(() => exec(['ipset', 'restore'], creates)));
  });
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const runs = opts.quick ? 3 : 7;
  const POLICIES = 760;
  const PODS = 10_000;
  const input = benchInput(POLICIES, PODS, docIP);
  const state = computeNodeState(input);
  const withExtra = computeNodeState({ ...benchInput(POLICIES, PODS, docIP, true), previousSlots: new Map(state.director.map((d) => [d.egressIP, d.slot])) });

  // pure part at the full 1,000 × 10 (strings only; never programmed)
  const fullInput = benchInput(1000, 10_000, (i) => `198.18.${i >> 8}.${i & 255}`);
  const pureTimes: number[] = [];
  for (let i = 0; i < runs; i++) pureTimes.push(await timeMs(async () => renderState(computeNodeState(fullInput), RENDER)));

  const k: KernelRuns = { agentFull: [], agentRender: [], incr: [], incrRender: [], incrKernelRuns: [], baseFull: [], baseIncr: [], sameFull: [], createCold: [], createWarm: [], phases: [], driverRSS: 0 };
  for (let i = 0; i < runs; i++) {
    await measureAgent(state, withExtra, k);
    await measureBaseline(state, withExtra, k);
    await measureSameObjects(state, k);
  }
  const { agentFull, agentRender, incr, incrRender, incrKernelRuns, baseFull, baseIncr, sameFull, createCold, createWarm, phases, driverRSS } = k;
  const med = (v: number[]) => percentile(v, 50);
  const rss = await measureRSS();
  const fullMs = med(agentFull);
  const perPolicy = fullMs / POLICIES;
  const incrKernel = med(incrKernelRuns);
  return {
    name: 'agent-programming',
    figures: [
      figure({ name: `full apply from empty, ${POLICIES} policies × ~${Math.round(PODS / POLICIES)} pods (${PODS} pod entries)`, unit: 'ms', value: fullMs,
        baseline: { name: 'hand-written minimal ipset restore + iptables-restore + ip -batch', value: med(baseFull) },
        target: '≤ 1.5 × baseline', met: fullMs <= 1.5 * med(baseFull),
        details: { runs: agentFull, renderMs: agentRender, baselineRuns: baseFull, phasesMs: phases.filter((_, i) => i % 2 === 0) } }),
      figure({ name: 'full apply from empty, beside the same objects written by hand (sets, chains, rules, routes, guard; nothing read)', unit: 'ms', value: fullMs,
        baseline: { name: "the agent's own ipset / iptables-restore / ip -batch / nft texts, one after the other", value: med(sameFull) },
        details: { baselineRuns: sameFull, note: 'the agent programs 2 sets per pod class (director + leak guard; here a class is a policy), the minimal baseline 1 per policy; each 64th new set in a namespace waits for an RCU grace period' } }),
      figure({ name: `creating the agent's ${state.directorClasses.length + state.guardClasses.length + state.gateway.length} sets (no members) in a fresh namespace`, unit: 'ms', value: med(createCold),
        baseline: { name: 'the same creates once the namespace\'s set index has grown (destroyed and created again)', value: med(createWarm) },
        details: { cold: createCold, warm: createWarm, note: 'the kernel grows a namespace\'s set index 64 entries at a time (from 256), each growth behind synchronize_net()' } }),
      figure({ name: 'full apply extrapolated to 1,000 policies (linear in policies)', unit: 'ms', value: perPolicy * 1000,
        baseline: { name: 'minimal baseline, extrapolated the same way', value: (med(baseFull) / POLICIES) * 1000 }, target: '≤ 1000 ms', met: perPolicy * 1000 <= 1000 }),
      figure({ name: 'incremental: one pod added, kernel work (one member added in place over netlink)', unit: 'ms', value: incrKernel,
        baseline: { name: 'one `ipset restore` of a single add', value: med(baseIncr) }, target: '≤ 10 ms', met: incrKernel <= 10,
        details: { kernelRuns: incrKernelRuns, totalSyncRuns: incr, renderMs: incrRender, phasesMs: phases.filter((_, i) => i % 2 === 1) } }),
      figure({ name: 'compute + render, 1,000 policies × 10 pods (no kernel)', unit: 'ms', value: med(pureTimes),
        baseline: { name: 'full apply (kernel included), per 1,000 policies', value: perPolicy * 1000 }, details: { runs: pureTimes } }),
      figure({ name: 'agent RSS with 10,000 pods, 1,000 policies, 100 nodes cached and computed', unit: 'MB', value: rss.rssMB,
        baseline: { name: 'an empty node process', value: rss.emptyNodeMB }, target: '≤ 100 MB', met: rss.rssMB <= 100,
        details: { heapMB: rss.heapMB, peakRssMB: rss.peakRssMB, applierRSSAfterFullApplyMB: driverRSS / 2 ** 20, note: 'bundled like dist/node-agent.js; the applier figure runs under tsx' } }),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  {
    const resultsDir = join(REPO, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const result = await run({ quick: process.argv.includes('--quick'), resultsDir });
    const path = join(resultsDir, `agent-programming-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), result }, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    console.log(`wrote ${path}`);
  }
}

/** The node flags of the agent container as shipped (manifests/agent/daemonset.yaml), so RSS is measured as deployed. */
function shippedNodeFlags(): string[] {
  const ds = parseYaml(readFileSync(join(REPO, 'manifests/agent/daemonset.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { name: string; command?: string[] }[] } } };
  };
  const command = ds.spec.template.spec.containers.find((c) => c.name === 'agent')?.command ?? [];
  return command.slice(1).filter((a) => a.startsWith('--'));
}
