// Benchmarks 2 + 3: throughput (iperf3, one TCP stream) and latency (ping RTT) of the egress path
// against the hand-written minimal rules and against the unselected pod's plain masquerade. IPv4 by
// default; `fam` (the IPv6 echo) measures the IPv6 paths of a dual-stack lab the same way (issue 11 §5).
import * as A from '../../e2e/src/lab/addressing.js';
import { sleep, type Lab, type LabPod } from '../../e2e/src/lab/lab.js';
import { type Background, run as runIn } from '../lib/lab-helpers.js';
import { parseIperfBps, parsePingRtts } from '../lib/probe-math.js';
import { percentile, summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { r1, r2, say, type Env, type Sizes } from './common.js';

const IPERF_PORT = 5201;

/** Which echo address the paths reach: IPv4's, or (dual stack) the IPv6 one, the figures then named "…, IPv6". */
export interface DataPathFamily { echo: string; label: string }
const IPV4_PATH: DataPathFamily = { echo: A.ECHO_IP, label: '' };

export async function dataPath(lab: Lab, env: Pick<Env, 'sel' | 'plain' | 'hand'>, bg: Background, s: Sizes, fam: DataPathFamily = IPV4_PATH): Promise<Figure[]> {
  const mode = `${lab.mode}${fam.label}`;
  const echo = fam.echo;
  const paths: [string, LabPod][] = [['egress', env.sel], ['direct', env.plain], ['hand', env.hand]];
  const rtts = new Map<string, number[]>(paths.map(([n]) => [n, []]));
  for (const [, pod] of paths) await runIn(pod.netns, 'ping', ['-c', '20', '-i', '0.01', '-W', '1', echo]); // warm caches
  for (let round = 0; round < s.pingRounds; round++) {
    for (const [name, pod] of rotate(paths, round)) {
      const r = await runIn(pod.netns, 'ping', ['-c', String(s.pingCount), '-i', '0.01', '-W', '1', echo], { timeoutMs: 120_000 });
      const v = parsePingRtts(r.out);
      if (v.length < s.pingCount * 0.9) throw new Error(`ping from ${name} path: ${v.length}/${s.pingCount} replies: ${r.out.slice(-300)}`);
      rtts.get(name)!.push(...v.map((ms) => ms * 1000));
    }
  }
  const lat = Object.fromEntries([...rtts].map(([n, v]) => [n, summarize(v)]));
  say(`${mode}: latency p50 µs: ${paths.map(([n]) => `${n} ${lat[n]!.p50.toFixed(0)}`).join(', ')}`);

  const server = bg.start(lab.names.externalNs, 'iperf3', ['-s', '-B', echo, '-p', String(IPERF_PORT)]);
  const bps = new Map<string, number[]>(paths.map(([n]) => [n, []]));
  try {
    await sleep(500);
    for (let round = 0; round < s.iperfRounds; round++) {
      for (const [name, pod] of rotate(paths, round)) {
        let out = '';
        for (let attempt = 0; attempt < 3; attempt++) {
          const r = await runIn(pod.netns, 'iperf3', ['-c', echo, '-p', String(IPERF_PORT), '-t', String(s.iperfSecs), '-O', '1', '-J'],
            { timeoutMs: (s.iperfSecs + 30) * 1000 });
          out = r.out;
          if (r.code === 0) break;
          await sleep(500); // server busy between tests
        }
        bps.get(name)!.push(parseIperfBps(out.slice(0, out.lastIndexOf('}') + 1)));
      }
    }
  } finally {
    await bg.stop(server);
  }
  const gbps = (n: string): number => percentile(bps.get(n)!, 50) / 1e9;
  say(`${mode}: throughput Gbit/s: ${paths.map(([n]) => `${n} ${gbps(n).toFixed(2)}`).join(', ')}`);
  const eg = gbps('egress'), hand = gbps('hand'), direct = gbps('direct');
  const details = {
    throughputGbps: Object.fromEntries([...bps].map(([n, v]) => [n, v.map((x) => Math.round(x / 1e7) / 100)])),
    iperf: `single TCP stream, ${s.iperfSecs} s (first second omitted) × ${s.iperfRounds} rounds per path, median`,
  };
  const latDetails = (n: string) => ({ p50: r1(lat[n]!.p50), p99: r1(lat[n]!.p99), n: lat[n]!.n });
  const le = lat['egress']!.p50, lh = lat['hand']!.p50, ld = lat['direct']!.p50;
  const latInfo = { method: `ping -i 0.01, ${s.pingCount} × ${s.pingRounds} rounds per path, RTT p50 in µs`,
    egress: latDetails('egress'), hand: latDetails('hand'), direct: latDetails('direct'), egressMinusHandUs: r1(le - lh) };
  return [
    figure({ name: `throughput, egress path (${lab.mode} mode${fam.label})`, unit: 'Gbit/s', value: r2(eg), baseline: { name: 'hand-written minimal rules', value: r2(hand) },
      target: '≥ 0.97 × hand-written', met: eg >= 0.97 * hand, details }),
    figure({ name: `throughput, egress path vs no egress (${lab.mode} mode${fam.label})`, unit: 'Gbit/s', value: r2(eg), baseline: { name: 'direct node masquerade (unselected pod)', value: r2(direct) }, details }),
    figure({ name: `latency p50 RTT, egress path (${lab.mode} mode${fam.label})`, unit: 'µs', value: r1(le), baseline: { name: 'hand-written minimal rules', value: r1(lh) },
      target: '≤ hand-written + 10 µs', met: le - lh <= 10, details: latInfo }),
    figure({ name: `latency p50 RTT, egress path vs no egress (${lab.mode} mode${fam.label})`, unit: 'µs', value: r1(le), baseline: { name: 'direct node masquerade (unselected pod)', value: r1(ld) }, details: latInfo }),
  ];
}

function rotate<T>(xs: T[], k: number): T[] { const i = k % xs.length; return [...xs.slice(i), ...xs.slice(0, i)]; }
