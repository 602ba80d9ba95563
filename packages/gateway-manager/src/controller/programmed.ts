// The Programmed condition of a policy, from what the agents report they programmed: True when each
// held egress IP is on its gateway and every node running the policy's pods redirects them to the
// IP they are pinned to; False naming the first node that has not. Pure.
import { computeZonePreference, familiesOf, ipFamilyOf, pinEgressIP, Reason, type ClusterView, type PodInfo, type Policy, type StaticEgressNode } from '@static-egress/crds';

/** What one node's agent reports it has programmed (its StaticEgressNode status). */
export interface NodeReport {
  /** Egress IPs this node holds as a gateway (on its uplink, with SNAT). */
  gatewayIPs: readonly string[];
  /** Redirects this node programmed as a director: pod IPs steered to each egress IP. */
  directed: readonly { egressIP: string; podIPs: readonly string[] }[];
  /** The agent stopped: its kernel state stays, but nothing maintains it. */
  stopped?: boolean;
}

export interface ProgrammedInput {
  policy: Pick<Policy, 'assignments'>;
  /** The policy's authorized egress IPs (authorizeEgressIPs, no problem). */
  authorized: readonly string[];
  /** The selectable pods this policy owns (selectPods), with their IPs. */
  pods: readonly PodInfo[];
  /** node → its report; undefined when no report can be read (agents too old, CRD missing). */
  reports: ReadonlyMap<string, NodeReport> | undefined;
  /** Zones: the IPs held in a pod node's zone (computeZonePreference), as the agents pin. */
  nearIPs?: (podNode: string) => ((ip: string) => boolean) | undefined;
}

export interface ProgrammedCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

const MAX_NAMED = 3;

export function computeProgrammed(input: ProgrammedInput): ProgrammedCondition {
  const { reports } = input;
  if (!reports) return { status: 'Unknown', reason: 'NoReports', message: 'no agent reports (StaticEgressNode objects) to check against' };
  const held = input.authorized.filter((ip) => input.policy.assignments.has(ip));
  if (held.length === 0) return { status: 'False', reason: Reason.NotProgrammed, message: 'no egress IP is held by a gateway node' };
  const missing: string[] = [];
  for (const ip of held) {
    const node = input.policy.assignments.get(ip)!;
    const r = reports.get(node);
    if (!r) missing.push(`gateway ${node} has not reported`);
    else if (r.stopped) missing.push(`the agent on gateway ${node} is stopped`);
    else if (!r.gatewayIPs.includes(ip)) missing.push(`gateway ${node} does not hold ${ip} yet`);
  }
  const directors = new Set<string>();
  // Per family (issue 11): a pod's address of the family is pinned among the held IPs of that family.
  for (const family of familiesOf(held)) {
    const heldOf = held.filter((ip) => ipFamilyOf(ip) === family);
    for (const pod of input.pods) {
      const podIP = [...(pod.podIPs ?? []), ...(pod.podIP ? [pod.podIP] : [])].find((x) => ipFamilyOf(x) === family);
      if (!podIP || !pod.nodeName) continue;
      const ip = pinEgressIP(pod.uid, heldOf, input.nearIPs?.(pod.nodeName));
      if (input.policy.assignments.get(ip) === pod.nodeName) continue; // its own gateway: SNAT only
      directors.add(pod.nodeName);
      const r = reports.get(pod.nodeName);
      if (!r) missing.push(`node ${pod.nodeName} (pod ${pod.key}) has not reported`);
      else if (r.stopped) missing.push(`the agent on node ${pod.nodeName} (pod ${pod.key}) is stopped`);
      else if (!r.directed.some((d) => d.egressIP === ip && d.podIPs.includes(podIP))) {
        missing.push(`node ${pod.nodeName} has no rule for pod ${pod.key} to ${ip} yet`);
      }
    }
  }
  if (missing.length > 0) {
    const more = missing.length > MAX_NAMED ? ` (and ${missing.length - MAX_NAMED} more)` : '';
    return { status: 'False', reason: Reason.NotProgrammed, message: `${[...new Set(missing)].slice(0, MAX_NAMED).join('; ')}${more}` };
  }
  return {
    status: 'True', reason: Reason.Programmed,
    message: `${held.length} egress IP(s) on their gateways; ${input.pods.length} pod(s) redirected on ${directors.size} node(s)`,
  };
}

/** Programmed for every valid policy of the view, on the pass's assignments. */
export function computeProgrammedByPolicy(
  view: Pick<ClusterView, 'policies' | 'pods' | 'selection' | 'authorization' | 'nodes' | 'pools'>,
  assignments: ReadonlyMap<string, string>,
  reports: ReadonlyMap<string, NodeReport>,
): Map<string, ProgrammedCondition> {
  const podsOf = new Map<string, PodInfo[]>();
  for (const pod of view.pods) {
    // A pod of several policies (per-destination selection) is redirected by each of them.
    for (const key of view.selection.get(pod.key)?.policyKeys ?? []) podsOf.set(key, [...(podsOf.get(key) ?? []), pod]);
  }
  const out = new Map<string, ProgrammedCondition>();
  const nearIPs = computeZonePreference({ ...view, policies: view.policies.map((p) => ({ key: p.key, assignments })) });
  for (const p of view.policies) {
    const authorized = (view.authorization.get(p.key) ?? []).filter((a) => !a.problem).map((a) => a.ip);
    const held = new Map(authorized.flatMap((ip) => (assignments.has(ip) ? [[ip, assignments.get(ip)!] as const] : [])));
    out.set(p.key, computeProgrammed({ policy: { assignments: held }, authorized, pods: podsOf.get(p.key) ?? [], reports, nearIPs }));
  }
  return out;
}

/** The reports by node name, from the StaticEgressNode objects. */
export function parseNodeReports(objects: readonly StaticEgressNode[]): Map<string, NodeReport> {
  return new Map(objects.map((o) => [o.metadata?.name ?? '', {
    gatewayIPs: o.status?.gatewayIPs ?? [],
    directed: (o.status?.directed ?? []).map((d) => ({ egressIP: d.egressIP, podIPs: d.podIPs ?? [] })),
    ...(o.status?.stopped ? { stopped: true } : {}),
  }]));
}
