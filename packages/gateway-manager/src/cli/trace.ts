// `kubectl egress trace POD DESTINATION`: which policy applies to a pod's packet and why, the egress
// IP it is pinned to, the gateway holding it, what the agents report they programmed, and a one-line
// verdict. Pure: the CLI reads the objects and the agents' reports, this decides.
import {
  cidrContainsIP, comparePolicyPrecedence, computePodRoutes, excludedBy, familiesOf, familyName, ipFamilyOf, parseCIDR, parseIP, pinEgressIP, policySelectsPod,
  resolveDestination, type AuthorizedIP, type IPFamily, type Labels, type PodInfo, type Policy, type ServiceInfo,
} from '@static-egress/crds';
import type { NodeReport } from '../controller/programmed.js';

export type { NodeReport };

export interface TraceInput {
  pod: PodInfo;
  destination: string;
  /** The policies of the pod's namespace, and the ClusterStaticEgressIPs when they could be read. */
  policies: readonly Policy[];
  /** The labels of the pod's Namespace (cluster policies select by them); absent: not readable. */
  namespaceLabels?: Labels;
  /** Why the ClusterStaticEgressIPs could not be read (e.g. a tenant may not list them); absent: read. */
  clusterUnreadable?: string;
  services: readonly ServiceInfo[];
  /** authorizeEgressIPs' result when the pools could be read; else the status decides. */
  authorization?: ReadonlyMap<string, readonly AuthorizedIP[]>;
  /** Pod and service CIDRs (the agents' --cluster-cidrs), when known. */
  clusterCIDRs?: readonly string[];
  /** Zones: the IPs held in a pod node's zone (computeZonePreference), when nodes and pools could be read. */
  nearIPs?: (podNode: string | undefined) => ((ip: string) => boolean) | undefined;
  /** node name → its agent's report, for the nodes that could be read. */
  reports?: ReadonlyMap<string, NodeReport>;
}

/** `egress-ip`: leaves with the verdict's egress IP; `node-ip`: not steered; `dropped`: fail-closed. */
export type TraceOutcome = 'egress-ip' | 'node-ip' | 'in-cluster' | 'dropped' | 'not-programmed';

export interface TraceResult {
  /** `label  text` steps, in the order a packet meets them. */
  steps: [string, string][];
  verdict: string;
  outcome: TraceOutcome;
  egressIP?: string;
  gateway?: string;
}

export class TraceError extends Error {}

export function computeTrace(traceInput: TraceInput): TraceResult {
  const { destination } = traceInput;
  const family = parseIP(destination)?.family;
  if (!family) throw new TraceError(`destination ${destination} is not an IP address`);
  // A packet is of one family (issue 11): the pod's address, the egress IPs and the reports of it.
  const pod = podOfFamily(traceInput.pod, family);
  const input = { ...traceInput, pod };
  const steps: [string, string][] = [['pod', describePod(pod)]];
  const done = (outcome: TraceOutcome, verdict: string, extra: Partial<TraceResult> = {}): TraceResult => ({ steps, verdict, outcome, ...extra });
  const notSteered = unsteerable(pod, family, traceInput.pod);
  if (notSteered) return done('node-ip', `leaves with the node IP: ${notSteered}`);
  const { candidates, note } = clusterCandidates(input);
  if (note) steps.push(['cluster', note]);
  const labels = new Map([[pod.namespace, input.namespaceLabels ?? {}]]);
  const selecting = candidates.filter((p) => policySelectsPod(p, pod, input.services, labels)).sort(comparePolicyPrecedence);
  if (selecting.length === 0) {
    const nor = note === undefined && input.namespaceLabels ? ', nor does any ClusterStaticEgressIP' : '';
    return done('node-ip', `leaves with the node IP: no policy in ${pod.namespace} selects ${pod.name}${nor}`);
  }
  // The same rule as the agents' kernel rules and the manager's PodConflict (crds destinations.ts).
  const route = resolveDestination(selecting, destination);
  const policy = selecting.find((p) => p.key === route?.policyKey) ?? selecting[0]!;
  steps.push(['policy', describeSelection(policy, selecting.filter((p) => p !== policy))]);
  const cluster = (input.clusterCIDRs ?? []).find((c) => contains(c, destination));
  if (cluster) return done('in-cluster', `stays in the cluster: ${destination} is in the cluster CIDR ${cluster}`);
  if (!route) return done('node-ip', `leaves with the node IP: ${destinationMiss(selecting, destination)}`);
  steps.push(['destination', describeRoute(selecting, policy, route.cidr, destination)]);
  return traceEgressIP(input, policy, steps);
}

/** Why `destination` uses `policy`: its most specific matching prefix, and what the pod's other policies offered. */
function describeRoute(selecting: readonly Policy[], policy: Policy, cidr: string, destination: string): string {
  const others = selecting.filter((p) => p !== policy).map((p) => {
    const excluded = excludedBy(p, destination);
    if (excluded) return `${name(p)} excludes it (${excluded})`;
    const match = computePodRoutes([p]).find((r) => contains(r.cidr, destination));
    if (!match) return `${name(p)} does not cover it`;
    if (match.prefix < prefixOf(cidr)) return `${name(p)} matches only ${match.cidr}`;
    const why = (p.scope === 'Cluster') === (policy.scope === 'Cluster') ? 'older' : 'the pod\'s own namespace before a cluster policy';
    return `${name(p)} matches ${match.cidr} too, but ${name(policy)} takes precedence (${why}; PodConflict)`;
  });
  return `${destination} matches destinationCIDRs ${cidr} of ${name(policy)}${others.length ? `, the most specific: ${others.join('; ')}` : ''}`;
}

function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

function traceEgressIP(input: TraceInput, policy: Policy, steps: [string, string][]): TraceResult {
  const { pod } = input;
  const done = (outcome: TraceOutcome, verdict: string, extra: Partial<TraceResult> = {}): TraceResult => ({ steps, verdict, outcome, ...extra });
  const family = ipFamilyOf(input.destination)!;
  const authorized = authorizedIPs(input, policy, family);
  if (authorized.usable.length === 0) {
    const which = familiesOf(policy.egressIPs).length > 1 ? `${familyName(family)} ` : '';
    return done('node-ip', `leaves with the node IP: ${name(policy)} has no usable ${which}egress IP (${authorized.why || 'none authorized'})`);
  }
  const held = authorized.usable.filter((ip) => policy.assignments.has(ip));
  const pinSet = held.length > 0 ? held : authorized.usable;
  const near = input.nearIPs?.(pod.nodeName);
  const inZone = near ? pinSet.filter(near) : [];
  const ip = pinEgressIP(pod.uid, pinSet, near);
  const among = inZone.length > 0 ? `IPs held in the zone of ${pod.nodeName} ${inZone.join(', ')}` : `${held.length > 0 ? 'held' : 'authorized (none held)'} IPs ${pinSet.join(', ')}`;
  steps.push(['egress IP', `${ip}: the pod UID's hash picks it among the ${among}`]);
  const gateway = policy.assignments.get(ip);
  if (!gateway) return done('dropped', `dropped: no gateway holds ${ip} (fail-closed)`, { egressIP: ip });
  steps.push(['gateway', `${gateway} holds ${ip} (status.assignments)`]);
  const kernel = checkReports(input.reports, pod, ip, gateway);
  steps.push(['kernel', kernel.text]);
  if (kernel.missing) return done('not-programmed', `not programmed yet: ${kernel.missing}`, { egressIP: ip, gateway });
  return done('egress-ip', `leaves as ${ip} via ${gateway}`, { egressIP: ip, gateway });
}

function describePod(pod: PodInfo): string {
  return `${pod.key} (${pod.podIP ?? 'no IP'} on ${pod.nodeName || 'no node'})`;
}

/** The pod with its address of `family` as podIP (absent when it has none). */
function podOfFamily(pod: PodInfo, family: IPFamily): PodInfo {
  const ip = [...(pod.podIPs ?? []), ...(pod.podIP ? [pod.podIP] : [])].find((x) => ipFamilyOf(x) === family);
  const { podIP: _v4, ...rest } = pod;
  return ip ? { ...rest, podIP: ip } : rest;
}

function unsteerable(pod: PodInfo, family: IPFamily, original: PodInfo): string | undefined {
  if (pod.hostNetwork) return `${pod.key} uses the host network`;
  if (!pod.nodeName) return `${pod.key} is not scheduled`;
  if (!pod.podIP && (original.podIP || original.podIPs?.length)) return `${pod.key} has no ${familyName(family)} address`;
  if (!pod.podIP) return `${pod.key} has no pod IP yet`;
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return `${pod.key} has finished (${pod.phase})`;
  return undefined;
}

function describeSelection(policy: Policy, others: readonly Policy[]): string {
  let by = policy.serviceName !== undefined
    ? `the selector of Service ${policy.serviceName}`
    : policy.podSelector ? `podSelector ${describeSelector(policy.podSelector)}` : 'an empty podSelector (every pod)';
  if (policy.scope === 'Cluster') by = `namespaceSelector ${describeSelector(policy.namespaceSelector ?? {})} and ${by}`;
  const also = others.length
    ? `; ${others.map(name).join(', ')} select the pod too (each packet: the most specific destination, then the pod's own namespace's policy before a cluster policy, then the older)`
    : '';
  return `${name(policy)} selects it by ${by}${also}`;
}

/** How the trace names a policy: `namespace/name`, or `cseip/name` for a ClusterStaticEgressIP (as `status -A` lists it). */
function name(p: Policy): string {
  return p.scope === 'Cluster' ? `cseip/${p.key}` : p.key;
}

/**
 * The policies that may select the pod, and what the trace could not take into account: without the
 * Namespace's labels only a cluster policy selecting every namespace is certain to apply.
 */
function clusterCandidates(input: TraceInput): { candidates: Policy[]; note?: string } {
  const ns = input.pod.namespace;
  if (input.clusterUnreadable !== undefined) {
    return {
      candidates: input.policies.filter((p) => p.scope !== 'Cluster'),
      note: `ClusterStaticEgressIPs not considered (${input.clusterUnreadable}): one may still select the pod, and then wins only a more specific destination than the StaticEgressIPs of ${ns} below`,
    };
  }
  if (input.namespaceLabels) return { candidates: [...input.policies] };
  const certain = (p: Policy) => p.scope !== 'Cluster'
    || Object.keys(p.namespaceSelector?.matchLabels ?? {}).length + (p.namespaceSelector?.matchExpressions?.length ?? 0) === 0;
  const unknown = input.policies.filter((p) => !certain(p));
  return {
    candidates: input.policies.filter(certain),
    ...(unknown.length ? { note: `Namespace ${ns} not readable: could not tell whether ${unknown.map(name).join(', ')} select${unknown.length === 1 ? 's' : ''} its pods; left out` } : {}),
  };
}

function describeSelector(sel: NonNullable<Policy['podSelector']>): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`);
  return parts.length ? parts.join(',') : '{}';
}

function contains(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  return typeof c === 'object' && cidrContainsIP(c, ip);
}

/** Why no policy of the pod applies to `destination`. */
function destinationMiss(selecting: readonly Policy[], destination: string): string {
  const excluded = selecting.map((p) => [p, excludedBy(p, destination)] as const).filter(([, c]) => c !== undefined);
  if (excluded.length === selecting.length) return excluded.map(([p, c]) => `${name(p)} excludes ${destination} (excludedCIDRs ${c})`).join('; ');
  const parts = selecting.map((p) => excludedBy(p, destination) ? `${name(p)} excludes it` : `${name(p)} covers ${p.destinationCIDRs.join(', ')}`);
  return `no policy matches ${destination} (${parts.join('; ')})`;
}

/** The policy's egress IPs of `family` a packet may be pinned to (the agents pin per family). */
function authorizedIPs(input: TraceInput, policy: Policy, family: IPFamily): { usable: string[]; why: string } {
  const auth = input.authorization?.get(policy.key)?.filter((a) => ipFamilyOf(a.ip) === family);
  if (auth) {
    return {
      usable: auth.filter((a) => !a.problem).map((a) => a.ip),
      why: auth.filter((a) => a.problem).map((a) => `${a.ip}: ${a.problem!.reason}`).join('; '),
    };
  }
  // Without the pools (a tenant cannot read them): what the manager assigned is authorized; with
  // nothing assigned, pin as the agents would over the policy's IPs (the packet is dropped anyway).
  const ips = policy.egressIPs.filter((ip) => ipFamilyOf(ip) === family);
  const held = ips.filter((ip) => policy.assignments.has(ip));
  return { usable: held.length ? held : ips, why: '' };
}

function checkReports(
  reports: TraceInput['reports'], pod: PodInfo, ip: string, gateway: string,
): { text: string; missing?: string } {
  if (!reports) return { text: "agents' reports not readable: the verdict follows the policy's status" };
  const gw = reports.get(gateway);
  const parts: string[] = [];
  let missing: string | undefined;
  if (pod.nodeName !== gateway) {
    const dir = reports.get(pod.nodeName!);
    const redirected = dir?.directed.some((d) => d.egressIP === ip && d.podIPs.includes(pod.podIP!));
    if (!dir) parts.push(`director ${pod.nodeName}: no report`);
    else parts.push(`director ${pod.nodeName}: ${redirected ? `redirects ${pod.podIP} to ${ip}` : `has no redirect of ${pod.podIP} to ${ip}`}`);
    if (dir && !redirected) missing = `${pod.nodeName} does not redirect ${pod.podIP} to ${ip}`;
  }
  if (!gw) parts.push(`gateway ${gateway}: no report`);
  else parts.push(`gateway ${gateway}: ${gw.gatewayIPs.includes(ip) ? `holds ${ip}` : `does not hold ${ip}`}`);
  if (gw && !gw.gatewayIPs.includes(ip)) missing ??= `${gateway} does not hold ${ip}`;
  const stopped = [...new Set([pod.nodeName!, gateway])].filter((n) => reports.get(n)?.stopped);
  if (stopped.length > 0) parts.push(`agent stopped on ${stopped.join(', ')}: its last report may be out of date`);
  return { text: parts.join('; '), ...(missing ? { missing } : {}) };
}
