// The leader's pass, pure: the parsed cluster view, what this leader remembers of its last pass and
// the probe verdicts → the status and Events to write, what to remember, and when to look again.
// The Controller only executes it (controller.ts).
import {
  MAX_IPS_ANNOTATION,
  matchesSelector,
  type ClusterView,
  type EgressIPPoolStatus,
  type NodeInfo,
  type Policy,
  type PodSelection,
  type StaticEgressIPStatus,
} from '@static-egress/crds';
import { assignEgressIPs, type AssignResult } from '../assign/assign.js';
import { computeCloudPlacements, inCIDRs } from '../cloud/ipconfig.js';
import { computeCloudPlan, type CloudOp } from '../cloud/plan.js';
import type { CloudView } from '../cloud/sync.js';
import type { ProbeTarget } from '../health/prober.js';
import type { PolicyRef } from './kube-writer.js';
import { computePoolStatus, poolStatusChanged } from './pool-status.js';
import { computeProgrammedByPolicy, type NodeReport, type ProgrammedCondition } from './programmed.js';
import { computeInvalidPolicyStatus, computePolicyStatus, type PodConflict, type PolicyEvent } from './status.js';

/** What a leader carries from one pass to the next. A new leader starts from `emptyMemory`. */
export interface ManagerMemory {
  /** ip → node as this leader last assigned it; absent until the first pass seeds it from status. */
  previous?: ReadonlyMap<string, string>;
  /** IPs taken from a live node whose release is not confirmed yet: ip → that node, since when. */
  releasing: ReadonlyMap<string, { node: string; since: number }>;
}

export const emptyMemory: ManagerMemory = { releasing: new Map() };

/** The prober's view, read after the pass's probe targets were set. */
export interface ProbeHealth {
  /** node → verdict; nodes not probed to a verdict yet are absent. */
  verdicts: ReadonlyMap<string, boolean>;
  /** node → the egress IPs its agent reports holding (its /healthz body); absent if it does not report. */
  held: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface PassSettings {
  /**
   * How long after taking an IP from a live node to assume the release happened when the node's
   * agent does not report what it holds. Without it such releases wait for the agent's report.
   */
  releaseGraceMs?: number;
  /**
   * Cloud mode (`--cloud-provider`): each node's cloud interface now. Assignment then honours subnets
   * and capacity, and status names only nodes whose interface holds the IP (cloud/plan.ts).
   */
  cloud?: CloudView;
  /** The agents' StaticEgressNode reports by node: each policy's Programmed condition is set from them. */
  reports?: ReadonlyMap<string, NodeReport>;
}

/** A policy's status to write (absent: unchanged) and the Events to record after it. */
export interface PolicyWrite {
  ref: PolicyRef;
  status?: StaticEgressIPStatus;
  events: PolicyEvent[];
}

export interface ManagerPass {
  /** Only policies with something to write or record. */
  statuses: PolicyWrite[];
  /** Only pools whose status changed. */
  poolStatuses: { name: string; status: EgressIPPoolStatus }[];
  memory: ManagerMemory;
  /** Run again after this long even if nothing changes (a release is awaiting its grace). */
  requeueAfter?: number;
  counts: { assigned: number; unassigned: number; failovers: number };
  /** Cloud mode: the cloud calls to make, then the capacity annotations to write on Nodes. */
  cloud?: { ops: CloudOp[]; annotations: { node: string; value: string }[] };
}

/**
 * Nodes a pool admits and nodes holding an IP, probed on their InternalIP. Set on the prober
 * before its health is read: it forgets the verdicts of nodes it no longer probes.
 */
export function computeProbeTargets(view: Pick<ClusterView, 'nodes' | 'pools'>, memory: ManagerMemory): ProbeTarget[] {
  // a node still releasing an IP stays probed (no longer a gateway, say): its report confirms the release
  const holders = new Set([...memory.previous?.values() ?? [], ...[...memory.releasing.values()].map((r) => r.node)]);
  return view.nodes
    .filter((n) => n.internalIP && !n.deleted && (holders.has(n.name) || view.pools.some((p) => matchesSelector(n.labels, p.nodeSelector))))
    .map((n) => ({ node: n.name, address: n.internalIP! }));
}

export function computeManagerPass(
  view: ClusterView,
  memory: ManagerMemory,
  health: ProbeHealth,
  now: number,
  settings: PassSettings = {},
): ManagerPass {
  // A new leader continues from what status says, so nothing moves on a leader change.
  const previous = memory.previous ?? previousFromStatus(view.policies);
  const kept = confirmReleases(memory.releasing, health, now, settings.releaseGraceMs);
  const isEgressIP = inCIDRs(view.pools.flatMap((p) => p.cidrs.map((c) => c.cidr)));
  const placed = settings.cloud && computeCloudPlacements(view.nodes, settings.cloud.interfaces, isEgressIP);
  const desired = assignEgressIPs({
    policies: view.policies.map((p) => ({
      key: p.key,
      createdAt: p.createdAt,
      ips: (view.authorization.get(p.key) ?? []).flatMap((a) => (a.problem || !a.pool ? [] : [{ ip: a.ip, pool: a.pool }])),
    })),
    pools: view.pools,
    nodes: view.nodes,
    health: health.verdicts,
    previous,
    releasing: releasingNow(kept, view.nodes, health, previous),
    capacityAnnotation: MAX_IPS_ANNOTATION,
    ...(placed ? { cloud: placed.placements } : {}),
  });
  const { result, ops } = settings.cloud ? publishCloud(view, desired, settings.cloud, isEgressIP) : { result: desired, ops: [] };
  const releasing = new Map<string, { node: string; since: number }>();
  for (const [ip, node] of result.releasing) {
    const had = kept.get(ip);
    releasing.set(ip, had && had.node === node ? had : { node, since: now });
  }
  return {
    statuses: policyWrites(view, result, health, new Date(now), settings.reports && computeProgrammedByPolicy(view, result.assignments, settings.reports)),
    poolStatuses: poolWrites(view, result),
    memory: { previous: desired.assignments, releasing },
    ...(releasing.size > 0 && settings.releaseGraceMs !== undefined ? { requeueAfter: settings.releaseGraceMs } : {}),
    counts: {
      assigned: result.assignments.size,
      unassigned: result.unassigned.length,
      failovers: result.moves.filter((x) => x.kind === 'failover' && x.to !== undefined).length,
    },
    ...(placed ? { cloud: { ops, annotations: placed.annotations } } : {}),
  };
}

/** Only what the cloud holds is published; the rest waits as CloudPending, with the cloud's last error. */
function publishCloud(
  view: ClusterView,
  desired: AssignResult,
  cloud: CloudView,
  isEgressIP: (ip: string) => boolean,
): { result: AssignResult; ops: CloudOp[] } {
  const plan = computeCloudPlan({ desired: desired.assignments, interfaces: cloud.interfaces, releasing: desired.releasing, isEgressIP });
  const policyOf = new Map([...view.authorization].flatMap(([key, ips]) => ips.filter((a) => !a.problem).map((a) => [a.ip, key] as const)));
  const unassigned = [...desired.unassigned];
  for (const [ip, node] of plan.pending) {
    const error = cloud.errors.get(ip);
    unassigned.push({ ip, policyKey: policyOf.get(ip) ?? '', reason: 'CloudPending', node, ...(error ? { error } : {}) });
  }
  return { result: { ...desired, assignments: plan.held, unassigned }, ops: plan.ops };
}

/** Older policies first, so a stale double claim in status resolves like authorization does. */
function previousFromStatus(policies: readonly Policy[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of [...policies].sort((a, b) => b.createdAt - a.createdAt)) for (const [ip, node] of p.assignments) m.set(ip, node);
  return m;
}

/**
 * Drops releases that are done: the holder's agent reports the IP gone or — for agents that do not
 * report holdings — the grace period passed.
 */
function confirmReleases(
  releasing: ManagerMemory['releasing'],
  health: ProbeHealth,
  now: number,
  graceMs: number | undefined,
): Map<string, { node: string; since: number }> {
  const kept = new Map<string, { node: string; since: number }>();
  for (const [ip, r] of releasing) {
    const held = health.held.get(r.node);
    const done = held ? !held.has(ip) : graceMs !== undefined && now - r.since >= graceMs;
    if (!done) kept.set(ip, r);
  }
  return kept;
}

/** The releases still open, plus IPs a live agent reports holding but is not assigned (e.g. from before a leader change). */
function releasingNow(
  kept: ReadonlyMap<string, { node: string }>,
  nodes: readonly NodeInfo[],
  health: ProbeHealth,
  previous: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map([...kept].map(([ip, r]) => [ip, r.node]));
  for (const n of nodes) {
    if (health.verdicts.get(n.name) === false) continue;
    for (const ip of health.held.get(n.name) ?? []) {
      if (previous.get(ip) !== n.name && !out.has(ip)) out.set(ip, n.name);
    }
  }
  return out;
}

function policyWrites(
  view: ClusterView, result: AssignResult, health: ProbeHealth, now: Date, programmed: ReadonlyMap<string, ProgrammedCondition> | undefined,
): PolicyWrite[] {
  const out: PolicyWrite[] = [];
  const add = (ref: PolicyRef, res: { status: StaticEgressIPStatus; changed: boolean; events: PolicyEvent[] }) => {
    if (res.changed || res.events.length) out.push({ ref, ...(res.changed ? { status: res.status } : {}), events: res.events });
  };
  const nodeProblems = describeNodeProblems(view.nodes, health.verdicts);
  const podConflicts = collectPodConflicts(view.selection);
  // by policy once: filtering the whole list per policy was quadratic (10,000 unplaced policies: 10⁸ steps)
  const unassigned = groupBy(result.unassigned, (u) => u.policyKey);
  const moves = groupBy(result.moves, (m) => m.policyKey);
  for (const p of view.policies) {
    const res = computePolicyStatus({
      policy: p,
      current: view.policyObjects.get(p.key)?.status,
      authorization: view.authorization.get(p.key) ?? [],
      assignments: result.assignments,
      unassigned: unassigned.get(p.key) ?? [],
      moves: moves.get(p.key) ?? [],
      podConflicts: podConflicts.get(p.key) ?? [],
      nodeProblems,
      ...(programmed?.has(p.key) ? { programmed: programmed.get(p.key)! } : {}),
      now,
    });
    add({ namespace: p.namespace, name: p.name, uid: p.uid }, res);
  }
  for (const b of view.bad) {
    if (b.kind !== 'StaticEgressIP' && b.kind !== 'ClusterStaticEgressIP') continue;
    const meta = b.object.metadata;
    const res = computeInvalidPolicyStatus({ generation: meta?.generation ?? 0, current: b.object.status, message: b.message, now });
    add({ namespace: meta?.namespace ?? '', name: meta?.name ?? '', uid: meta?.uid ?? '' }, res);
  }
  return out;
}

function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = keyOf(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

function poolWrites(view: ClusterView, result: AssignResult): ManagerPass['poolStatuses'] {
  const out: ManagerPass['poolStatuses'] = [];
  for (const pool of view.pools) {
    const obj = view.poolObjects.get(pool.name);
    const status = computePoolStatus({ pool, generation: obj?.metadata?.generation ?? 0, authorization: view.authorization, assignments: result.assignments });
    if (poolStatusChanged(obj?.status, status)) out.push({ name: pool.name, status });
  }
  return out;
}

function describeNodeProblems(nodes: readonly NodeInfo[], health: ReadonlyMap<string, boolean>): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of nodes) {
    if (n.deleted) m.set(n.name, `Node ${n.name} is being deleted`);
    else if (!n.ready) m.set(n.name, `Node ${n.name} is NotReady`);
    else if (health.get(n.name) === false) m.set(n.name, `the agent on ${n.name} stopped answering its health probe`);
    else if (n.cordoned) m.set(n.name, `Node ${n.name} is cordoned`);
  }
  return m;
}

/** loser policy → the policies that take its pods' traffic on identical destination prefixes, with the pods and prefixes. */
function collectPodConflicts(selection: ReadonlyMap<string, PodSelection>): Map<string, PodConflict[]> {
  const byLoser = new Map<string, Map<string, { pods: Set<string>; destinations: Set<string> }>>();
  for (const [pod, sel] of selection) {
    for (const c of sel.conflicts) {
      const winners = byLoser.get(c.loser) ?? new Map<string, { pods: Set<string>; destinations: Set<string> }>();
      const w = winners.get(c.winner) ?? { pods: new Set<string>(), destinations: new Set<string>() };
      w.pods.add(pod);
      w.destinations.add(c.cidr);
      winners.set(c.winner, w);
      byLoser.set(c.loser, winners);
    }
  }
  const out = new Map<string, PodConflict[]>();
  for (const [loser, winners] of byLoser) {
    out.set(
      loser,
      [...winners].sort(([a], [b]) => (a < b ? -1 : 1)).map(([winner, w]) => ({ winner, pods: [...w.pods].sort(), destinations: [...w.destinations].sort() })),
    );
  }
  return out;
}
