// Benchmark 5: pod IP known → the pod's traffic leaves with the egress IP (the network exists and a
// prober runs inside before the Pod's IP is published).
import { join } from 'node:path';
import * as A from '../../e2e/src/lab/addressing.js';
import { sleep, type Lab } from '../../e2e/src/lab/lab.js';
import { firstAfter, isSync } from '../lib/daemon-logs.js';
import { BarePod, UdpProbe, type Background } from '../lib/lab-helpers.js';
import { firstGoodSentAfter } from '../lib/probe-math.js';
import { percentile, summarize } from '../lib/stats.js';
import { figure, type Figure } from '../lib/types.js';
import { EIP_POD, NS, agentLog, mapValues, r1, say, type Sizes } from './common.js';

export async function podCreated(lab: Lab, bg: Background, s: Sizes): Promise<Figure[]> {
  await lab.applyPolicy({ namespace: NS, name: 'np', egressIPs: [EIP_POD], podSelector: { matchLabels: { app: 'np' } }, destinationCIDRs: [A.EXTERNAL_CIDR] });
  const gwNode = (await lab.waitAssigned(NS, 'np', 60_000)).get(EIP_POD)!;
  const rows: { value: number; patch: number; director: number; gateway: number }[] = [];
  for (let k = 0; k < s.conv; k++) {
    const pod = new BarePod(lab, NS, `np-${k}`, 1, 100 + k, 28 - (k % 8));
    try {
      await pod.network();
      const probe = await UdpProbe.start(bg, pod.netns, join(lab.logDir, `bench-pod-${k}.json`), { fresh: true });
      await pod.createObject({ app: 'np' });
      await sleep(300);
      const [t0, t0r] = await pod.publishIP();
      await sleep(1_200);
      const rec = await probe.stop();
      const first = firstGoodSentAfter(rec, EIP_POD, t0);
      const director = firstAfter(agentLog(lab, 'node-1'), t0, (e) => isSync(e, ['ipsets']));
      const gateway = firstAfter(agentLog(lab, gwNode), t0, (e) => isSync(e, ['ipsets']));
      rows.push({ value: first ? first.send - t0 : Number.NaN, patch: t0r - t0,
        director: director ? director.t - t0 : Number.NaN, gateway: gateway ? gateway.t - t0 : Number.NaN });
    } finally {
      await pod.remove();
    }
    await sleep(500);
  }
  const v = summarize(rows.map((x) => x.value).filter(Number.isFinite));
  const b = summarize(rows.map((x) => x.patch));
  const details = {
    trials: rows.map((x) => mapValues({ firstPacket: x.value, apiPatch: x.patch, directorSynced: x.director, gatewaySynced: x.gateway }, r1)),
    phasesP50: { directorSynced: r1(percentile(rows.map((x) => x.director).filter(Number.isFinite), 50)),
      gatewaySynced: r1(percentile(rows.map((x) => x.gateway).filter(Number.isFinite), 50)) },
    probe: 'new UDP flow every 5 ms from inside the pod, started before its IP was published; t0 = status.podIP patch sent',
  };
  say(`pod IP known → egress: ${rows.map((x) => x.value.toFixed(0)).join(', ')} ms`);
  await lab.deletePolicy(NS, 'np');
  return [
    figure({ name: `pod IP known → traffic uses egress IP, p50 (${v.n} trials)`, unit: 'ms', value: r1(v.p50),
      baseline: { name: 'status.podIP patch round trip, p50', value: r1(b.p50) }, details }),
    figure({ name: `pod IP known → traffic uses egress IP, p99 (${v.n} trials)`, unit: 'ms', value: r1(v.p99),
      baseline: { name: 'status.podIP patch round trip, p99', value: r1(b.p99) }, target: '≤ 200 ms', met: v.n === s.conv && v.p99 <= 200 }),
  ];
}
