// The dual-stack failover both dual-stack suites run (issue 11): a probe per family from one pod, the
// nodes holding the IPv4 and the IPv6 egress IP lost (link cut, agent killed), each IP back on another
// node, and each family's probe analysed; the assertions stay with the suite.
import { waitHeldElsewhere } from './families.js';
import { ECHO_IP6 } from './lab/ipv6.js';
import { addr as A, loseNode, printReport, sleep, type Lab, type LabPod } from './scenario.js';

export interface DualFailover {
  r4: Awaited<ReturnType<ReturnType<Lab['startProbe']>['stopAndAnalyze']>>;
  r6: Awaited<ReturnType<ReturnType<Lab['startProbe']>['stopAndAnalyze']>>;
  /** when both IPs were held again */
  movedAt: number;
}

export async function loseBothGateways(lab: Lab, client: LabPod, ips: { v4: string; v6: string }, assigned: ReadonlyMap<string, string>, title: string): Promise<DualFailover> {
  const p4 = lab.startProbe(client, { mode: 'udp', intervalMs: 5, target: A.ECHO_IP });
  const p6 = lab.startProbe(client, { mode: 'udp', intervalMs: 5, target: ECHO_IP6 });
  await sleep(2_000);
  const lost = [...new Set([assigned.get(ips.v4)!, assigned.get(ips.v6)!])];
  const cut = Date.now();
  for (const n of lost) await loseNode(lab, lab.nodeIndex(n));
  const [next4, next6] = await Promise.all([waitHeldElsewhere(lab, ips.v4, lost), waitHeldElsewhere(lab, ips.v6, lost)]);
  const movedAt = Date.now();
  console.log(`      ${lost.join(', ')} lost; ${ips.v4} on ${next4}, ${ips.v6} on ${next6} after ${movedAt - cut} ms`);
  await sleep(3_000);
  const r4 = await p4.stopAndAnalyze(ips.v4);
  const r6 = await p6.stopAndAnalyze(ips.v6);
  printReport(`${title} IPv4`, r4);
  printReport(`${title} IPv6`, r6);
  return { r4, r6, movedAt };
}
