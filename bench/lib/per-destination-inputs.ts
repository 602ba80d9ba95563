// Inputs of the issue-9 variants (per-destination policies, zones), at the scale of the existing
// figures, beside which they are measured. Strings only; nothing here touches a kernel or the wire.
// (The zoned assignment input is manager-assign.ts's zonedInput.)
import type { PodInfo, Policy } from '@static-egress/crds';
import type { NodeStateInput, PolicyView, PodView } from '../../packages/node-agent/src/desired/types.js';

/** Destination sets that differ pairwise for policies p, p+1, p+2 (p mod 3), none an identical prefix of another's. */
const DESTINATIONS: readonly (readonly string[])[] = [['198.51.100.0/24'], ['198.51.100.0/25'], ['198.51.100.128/26', '192.0.2.0/24']];

/** Which policies select pod k of `policies`: 2 or 3 neighbours (k, k+1, and k+2 for even k). */
export function policiesOfPod(k: number, policies: number): number[] {
  const own = k % policies;
  const list = [own, (own + 1) % policies];
  if (k % 2 === 0) list.push((own + 2) % policies);
  return list;
}

/**
 * The manager's pod selection at the assignment scale: `policies` policies in 50 namespaces, `pods`
 * pods; each pod selected by one policy (`perPod` 1) or by 2–3 policies of its namespace with
 * different destination CIDRs (`perPod` 'per-destination'; podSelector by a label per policy).
 */
export function selectionInput(policies: number, pods: number, perPod: 1 | 'per-destination'): { policies: Policy[]; pods: PodInfo[] } {
  const perNs = policies / 50;
  const pol: Policy[] = Array.from({ length: policies }, (_, p) => ({
    key: `ns${p % 50}/policy-${p}`, namespace: `ns${p % 50}`, name: `policy-${p}`, uid: `uid-p${p}`, generation: 1, createdAt: 1_700_000_000_000 + p,
    egressIPs: [`198.18.${p >> 8}.${p & 255}`], podSelector: { matchLabels: { [`p${p}`]: '' } },
    destinationCIDRs: [...DESTINATIONS[Math.floor(p / 50) % 3]!], excludedCIDRs: [], assignments: new Map(),
  }));
  const podList: PodInfo[] = Array.from({ length: pods }, (_, k) => {
    const ns = k % 50;
    // the policies of namespace ns are ns, ns+50, ns+100, ...: neighbours within it differ in destinations
    const within = Math.floor(k / 50) % perNs;
    const chosen = perPod === 1 ? [within] : policiesOfPod(within, perNs);
    const labels = Object.fromEntries(chosen.map((i) => [`p${ns + 50 * i}`, '']));
    return { key: `ns${ns}/pod${k}`, namespace: `ns${ns}`, name: `pod${k}`, uid: `uid-${k}`, labels, nodeName: `node-${k % 1000}`, podIP: `10.${k >> 16}.${(k >> 8) & 255}.${k & 255}`, phase: 'Running' };
  });
  return { policies: pol, pods: podList };
}

/** Documentation addresses usable as egress IPs: not the uplink subnet's network/broadcast, not a node IP (.11–.14). */
export const AGENT_IPS = ['192.0.2', '198.51.100', '203.0.113'].flatMap((n) => Array.from({ length: 256 }, (_, i) => `${n}.${i}`))
  .filter((ip) => !['192.0.2.0', '192.0.2.255', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14'].includes(ip));

const GATEWAYS = [['gw-a', '192.0.2.12'], ['gw-b', '192.0.2.13'], ['gw-c', '192.0.2.14']] as const;

/**
 * The agent's full apply with per-destination policies: `policies` policies of `ipsPerPolicy` IPs
 * each, `totalPods` local pods each selected by 2–3 policies with different destination CIDRs. With
 * 3 IPs per policy the IPs are one per zone, held by gw-a/gw-b/gw-c, and this node (zone a) prefers
 * the zone-a IP (nearIPs), as the agent does with computeZonePreference.
 */
export function perDestinationAgentInput(
  policies: number, ipsPerPolicy: 1 | 3, totalPods: number, pin: NodeStateInput['pin'], extraPod?: boolean,
): NodeStateInput {
  const pols: PolicyView[] = Array.from({ length: policies }, (_, p) => {
    const ips = Array.from({ length: ipsPerPolicy }, (_, z) => AGENT_IPS[p * ipsPerPolicy + z]!);
    return {
      key: `ns${p % 50}/p${p}`, createdAt: p, egressIPs: ips, destinationCIDRs: [...DESTINATIONS[p % 3]!], excludedCIDRs: ['198.51.100.7/32'],
      assignments: new Map(ips.map((ip, z) => [ip, GATEWAYS[ipsPerPolicy === 1 ? 0 : z]![0]])),
    };
  });
  const pods: PodView[] = [];
  const selection = new Map<string, string[]>();
  for (let k = 0; k < totalPods + (extraPod ? 1 : 0); k++) {
    const key = `ns${k % 50}/pod${k}`;
    pods.push({ key, uid: `uid-${k}`, nodeName: 'bench', podIP: `203.0.113.${k % 256}` });
    selection.set(key, policiesOfPod(k, policies).map((p) => pols[p]!.key));
  }
  const zoneA = new Set(pols.flatMap((p) => [...p.assignments].filter(([, n]) => n === 'gw-a').map(([ip]) => ip)));
  return {
    nodeName: 'bench', nodeIP: '192.0.2.11', mode: 'direct', policies: pols,
    authorizedIPs: new Map(pols.map((p) => [p.key, p.egressIPs])), selection, pods,
    nodes: new Map([['bench', '192.0.2.11'], ...GATEWAYS]), clusterCIDRs: ['203.0.113.224/27'],
    ranges: { markMask: 0x03ff0000, tableMin: 5000, tableMax: 6023, priorityMin: 5000, priorityMax: 6023 }, pin,
    ...(ipsPerPolicy === 3 ? { nearIPs: () => (ip: string) => zoneA.has(ip) } : {}),
  };
}
