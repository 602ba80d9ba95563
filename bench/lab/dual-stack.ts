// IPv6 figures beside the IPv4 ones (issue 11 §5), from one dual-stack lab (`ipFamilies: ['IPv4',
// 'IPv6']`, nodes 2–4 gateways): the data path of each family (throughput and latency of the egress
// path against a hand-written minimal rule set of that family — iptables/ip or ip6tables/ip -6 —
// and the unselected pod's masquerade, all measured in this run), and the failover gap of each
// family from the same trials (a policy with an IPv4 and an IPv6 egress IP; every node holding one
// is lost — link cut, agent SIGKILLed — and a UDP probe per family runs throughout), against the
// same address of that family moved by hand (`ip addr` + one GARP / one unsolicited NA). The load
// average is recorded around each section (2 shared cores: the figures move with it).
import os from 'node:os';
import { GATEWAY_LABEL } from '@static-egress/crds';
import * as A from '../../e2e/src/lab/addressing.js';
import { ECHO_IP6, EGRESS_POOL_CIDR6, EXTERNAL_CIDR6, nodeIP6 } from '../../e2e/src/lab/ipv6.js';
import { Lab, waitFor, type LabPod } from '../../e2e/src/lab/lab.js';
import { ADMITTED_LABEL, POOL_NAME } from '../../e2e/src/scenario.js';
import { renderHandDirector, renderHandGateway } from '../lib/hand-rules.js';
import { Background, run as runIn } from '../lib/lab-helpers.js';
import { LAB_BENCH_TOOLS, describeMissingTools } from '../lib/tools.js';
import { figure, type BenchOptions, type BenchResult, type Figure } from '../lib/types.js';
import { EIP_FAILOVER, GATEWAYS, HAND_IP, NS, must, say } from './common.js';
import { dataPath } from './datapath.js';
import { EIP6, HAND_IP6, dualStackFailover, type DualSizes, type FamilyPaths } from './dual-stack-failover.js';

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const missing = describeMissingTools([...LAB_BENCH_TOOLS, ['python3', 'python3-minimal']]);
  if (missing) return { name: 'lab-ipv6', figures: [], skipped: missing };
  const s: DualSizes = opts.quick
    ? { failover: 10, handMoves: 5, conv: 3, pingCount: 300, pingRounds: 1, iperfSecs: 3, iperfRounds: 1 }
    : { failover: 20, handMoves: 10, conv: 20, pingCount: 1000, pingRounds: 3, iperfSecs: 5, iperfRounds: 5 };
  const bg = new Background();
  const killBg = (): void => bg.killAllSync();
  process.on('exit', killBg);
  const figures: Figure[] = [];
  const load: Record<string, { before: number[]; after: number[] }> = {};
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: GATEWAYS, ipFamilies: ['IPv4', 'IPv6'] });
    const env = await setUpDualStack(lab);
    const sections: [string, () => Promise<Figure[]>][] = [
      ['data path IPv4', () => dataPath(lab!, env.v4, bg, s)],
      ['data path IPv6', () => dataPath(lab!, env.v6, bg, s, { echo: ECHO_IP6, label: ', IPv6' })],
      ['failover, both families', () => dualStackFailover(lab!, env, s)],
    ];
    for (const [name, fn] of sections) {
      const t = Date.now();
      const before = os.loadavg().map(r2);
      say(`${name} (load ${before.join(' ')}) ...`);
      try {
        figures.push(...await fn());
      } catch (err) {
        say(`${name} FAILED: ${(err as Error).stack ?? String(err)}`);
        figures.push(figure({ name: `${name}: failed`, unit: '', value: Number.NaN, baseline: { name: 'n/a', value: Number.NaN },
          met: false, details: { error: (err as Error).message } }));
      }
      load[name] = { before, after: os.loadavg().map(r2) };
      say(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s (load ${load[name]!.after.join(' ')})`);
    }
  } finally {
    bg.killAllSync();
    await lab?.down();
    process.off('exit', killBg);
  }
  // the machine's load (1, 5, 15 min) around each section rides along with every figure
  return { name: 'lab-ipv6', figures: figures.map((f) => ({ ...f, details: { ...f.details, loadAverage: load } })) };
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * One policy with an IPv4 and an IPv6 egress IP selects `sel`; `plain` is unselected; `hand` goes
 * through hand-written rules of both families: director on node-1, SNAT on every gateway, the hand
 * addresses on the gateways that hold the product's egress IPs of their family.
 */
async function setUpDualStack(lab: Lab): Promise<FamilyPaths> {
  await lab.applyPool({
    name: POOL_NAME,
    cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }, { cidr: EGRESS_POOL_CIDR6 }],
    namespaceSelector: { matchLabels: ADMITTED_LABEL },
    nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
  });
  await lab.ensureNamespace(NS, ADMITTED_LABEL);
  const pod = (name: string): Promise<LabPod> => lab.addPod({ namespace: NS, name, node: 1, labels: { app: name } });
  const sel = await pod('sel');
  const plain = await pod('plain');
  const hand = await pod('hand');
  if (!sel.ip6 || !hand.ip6) throw new Error('the dual-stack lab gave the pods no IPv6 address');
  await lab.applyPolicy({ namespace: NS, name: 'dual', egressIPs: [EIP_FAILOVER, EIP6], podSelector: { matchLabels: { app: 'sel' } },
    destinationCIDRs: [A.EXTERNAL_CIDR, EXTERNAL_CIDR6] });
  const assigned = await lab.waitAssigned(NS, 'dual', 90_000);
  const gw4 = lab.nodeIndex(assigned.get(EIP_FAILOVER)!), gw6 = lab.nodeIndex(assigned.get(EIP6)!);
  const uplink1 = lab.names.nodeUplink(1);
  for (const [ip, hip, dst, gw, v6] of [[hand.ip, HAND_IP, A.EXTERNAL_CIDR, gw4, false], [hand.ip6, HAND_IP6, EXTERNAL_CIDR6, gw6, true]] as const) {
    const [ipt, ipCmd] = v6 ? ['ip6tables-restore', ['-6', '-batch', '-']] : ['iptables-restore', ['-batch', '-']];
    const dir = renderHandDirector({ prefix: lab.prefix, podIP: ip, dstCIDR: dst, egressIP: hip, uplink: uplink1 });
    await must(lab.names.nodeNs(1), ipt, ['--noflush'], dir.iptables);
    await must(lab.names.nodeNs(1), 'ip', ipCmd, dir.ip.join('\n') + '\n');
    for (const g of GATEWAYS) {
      await must(lab.names.nodeNs(g), ipt, ['--noflush'], renderHandGateway({ prefix: lab.prefix, podIP: ip, dstCIDR: dst, egressIP: hip }));
    }
    // never `nodad`: a nodad /128 on the uplink is the agent's own (it would remove it); the lab's
    // accept_dad=0 makes the address usable at once all the same
    await must(lab.names.nodeNs(gw), 'ip', [...(v6 ? ['-6'] : []), 'addr', 'add', `${hip}/${v6 ? 128 : 32}`, 'dev', lab.names.nodeUplink(gw)]);
  }
  const seen = await waitFor('every path of both families to leave with its address', async () => {
    const x = {
      sel: await lab.sourceIPSeen(sel), plain: await lab.sourceIPSeen(plain), hand: await lab.sourceIPSeen(hand),
      sel6: await lab.sourceIPSeen(sel, ECHO_IP6), plain6: await lab.sourceIPSeen(plain, ECHO_IP6), hand6: await lab.sourceIPSeen(hand, ECHO_IP6),
    };
    const want = { sel: EIP_FAILOVER, plain: A.nodeIP(1), hand: HAND_IP, sel6: EIP6, plain6: nodeIP6(1), hand6: HAND_IP6 };
    return Object.entries(want).every(([k, v]) => x[k as keyof typeof x] === v) ? x : undefined;
  }, 60_000, 300).catch(async (e: Error) => {
    say(`paths not ready; node-1 and the IPv6 gateway as they are:\n${await diagnose(lab, hand, gw6)}`);
    throw e;
  });
  say(`dual-stack paths (IPv4 gateway node-${gw4}, IPv6 gateway node-${gw6}): ${JSON.stringify(seen)}`);
  const paths = { sel, plain, hand };
  return { v4: paths, v6: paths, handGateway4: gw4, handGateway6: gw6 };
}

/** What the hand-written IPv6 path looks like in the kernel (said when the paths do not come up). */
async function diagnose(lab: Lab, hand: LabPod, gw6: number): Promise<string> {
  const sh = async (node: number, script: string) => {
    const r = await runIn(lab.names.nodeNs(node), 'sh', ['-c', script]);
    return `--- node-${node}: ${script}\n${r.out}`;
  };
  return (await Promise.all([
    sh(1, `ip -6 rule; ip -6 route show table 4000; ip -6 route get ${ECHO_IP6} from ${hand.ip6} iif cni0 mark 0x100; ip -6 neigh; ip6tables-save -c -t mangle; ip6tables-save -c -t nat`),
    sh(gw6, `ip -6 addr; ip6tables-save -c -t nat; ip6tables-save -c -t filter; nft list ruleset ip6`),
  ])).join('\n');
}
