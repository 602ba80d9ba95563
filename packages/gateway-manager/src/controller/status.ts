// Pure: one policy's assignment/authorization results → its status and the Events worth emitting.
// Events are derived from the difference between the status on the server and the new one, so a
// restarted or newly leading manager does not repeat them.
import {
  compareIPs,
  computeStatusNodes,
  familiesOf,
  familyName,
  ConditionType,
  EventReason,
  Reason,
  type AuthorizedIP,
  type Condition,
  type EgressIPAssignment,
  type Policy,
  type StaticEgressIPStatus,
} from '@static-egress/crds';
import type { Move, Unassigned } from '../assign/assign.js';

export interface PolicyEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PodConflict {
  /** The policy that takes the pods' traffic to `destinations` (it precedes: namespaced, then older). */
  winner: string;
  pods: string[];
  /** The destination prefixes both policies name (per-destination selection, issue 9). */
  destinations: string[];
}

export interface PolicyStatusInput {
  /** destinationCIDRs, when given, tell which families the policy steers (issue 11). */
  policy: Pick<Policy, 'key' | 'generation'> & Partial<Pick<Policy, 'destinationCIDRs'>>;
  /** status as the apiserver has it now. */
  current: StaticEgressIPStatus | undefined;
  authorization: readonly AuthorizedIP[];
  /** ip → node for every IP (the whole assignment result). */
  assignments: ReadonlyMap<string, string>;
  /** This policy's unplaced IPs. */
  unassigned: readonly Unassigned[];
  /** This policy's moves in this pass. */
  moves: readonly Move[];
  podConflicts: readonly PodConflict[];
  /** Unhealthy reasons by node, for failover messages. */
  nodeProblems?: ReadonlyMap<string, string>;
  /** Programmed from the agents' reports (programmed.ts); absent: the condition is carried over. */
  programmed?: { status: 'True' | 'False' | 'Unknown'; reason: string; message: string };
  now: Date;
}

export interface PolicyStatusResult {
  status: StaticEgressIPStatus;
  /** Whether status differs from `current` (a write is needed). */
  changed: boolean;
  events: PolicyEvent[];
}

/** The condition types this manager always owns; Programmed too when the agents' reports are read. */
const OWNED: readonly string[] = [ConditionType.Ready, ConditionType.Assigned, ConditionType.Conflict];

const PROBLEM_EVENT: Record<string, string> = {
  [Reason.IPNotAuthorized]: EventReason.EgressIPNotAuthorized,
  [Reason.IPConflict]: EventReason.EgressIPConflict,
  [Reason.IPIsNodeAddress]: EventReason.EgressIPIsNodeAddress,
  [Reason.IPNotUsable]: EventReason.EgressIPNotUsable,
  [Reason.PodConflict]: EventReason.EgressIPPodConflict,
};

/** Ready=False reports the first problem in this order. */
const PROBLEM_ORDER: readonly string[] = [Reason.IPNotAuthorized, Reason.IPNotUsable, Reason.IPIsNodeAddress, Reason.IPConflict];

/**
 * Issue 11: a family the policy has no egress IP of — or, with destinationCIDRs of the other family
 * only, no destination of — keeps the node's address; Ready says so, so a dual-stack user is not
 * surprised by pods leaving with the node's IPv6 address.
 */
function familyNote(authorization: readonly AuthorizedIP[], destinationCIDRs: readonly string[] | undefined): string {
  const withIPs = familiesOf(authorization.map((a) => a.ip));
  const withDestinations = destinationCIDRs ? familiesOf(destinationCIDRs) : withIPs;
  const notes = ([4, 6] as const).flatMap((f) => {
    const name = familyName(f);
    const keeps = `so the selected pods' ${name} traffic keeps the node's address`;
    if (!withIPs.includes(f)) return [`it has no ${name} egress IP, ${keeps}`];
    if (!withDestinations.includes(f)) return [`it has ${name} egress IPs but no ${name} destinationCIDRs, ${keeps}`];
    return [];
  });
  return notes.length === 1 ? `; ${notes[0]}` : '';
}

interface Problem {
  reason: string;
  message: string;
  /** Text that stays the same while the problem lasts; an Event fires when it first appears. */
  key: string;
}

export function computePolicyStatus(input: PolicyStatusInput): PolicyStatusResult {
  const { policy, current, authorization, assignments } = input;
  const ipProblems: Problem[] = authorization
    .filter((a) => a.problem)
    .map((a) => ({ reason: a.problem!.reason, message: a.problem!.message, key: a.problem!.message }))
    .sort((a, b) => PROBLEM_ORDER.indexOf(a.reason) - PROBLEM_ORDER.indexOf(b.reason));
  const podProblems: Problem[] = input.podConflicts.map(podConflictProblem);
  const usable = authorization.filter((a) => !a.problem).map((a) => a.ip);

  const assigned: EgressIPAssignment[] = usable
    .filter((ip) => assignments.has(ip))
    .map((ip) => ({ egressIP: ip, node: assignments.get(ip)! }))
    .sort((a, b) => compareIPs(a.egressIP, b.egressIP));

  const assignedCond = assignedCondition(usable, assigned, input.unassigned, ipProblems);
  // Conflict is with other policies or nodes; a claim no pool authorizes is the policy's own problem.
  const conflicts = [...ipProblems.filter((p) => p.reason !== Reason.IPNotAuthorized && p.reason !== Reason.IPNotUsable), ...podProblems];
  const conflictCond: Cond = conflicts.length
    ? { type: ConditionType.Conflict, status: 'True', reason: conflicts[0]!.reason, message: joinMessages(conflicts) }
    : { type: ConditionType.Conflict, status: 'False', reason: Reason.NoConflict, message: 'no conflicts with other policies or nodes' };
  const readyCond: Cond = ipProblems.length
    ? { type: ConditionType.Ready, status: 'False', reason: ipProblems[0]!.reason, message: joinMessages(ipProblems) }
    : assignedCond.status !== 'True'
      ? { type: ConditionType.Ready, status: 'False', reason: assignedCond.reason, message: assignedCond.message }
      : { type: ConditionType.Ready, status: 'True', reason: Reason.Ready, message: `every egress IP is authorized and held by a gateway node${familyNote(authorization, policy.destinationCIDRs)}` };

  const owned = [readyCond, assignedCond, conflictCond, ...(input.programmed ? [{ type: ConditionType.Programmed, ...input.programmed }] : [])];
  const status = buildStatus(policy.generation, current, assigned, owned, input.now);

  const events: PolicyEvent[] = [];
  const oldText = (current?.conditions ?? []).map((c) => c.message).join('\n');
  for (const p of [...ipProblems, ...podProblems]) {
    if (!oldText.includes(p.key)) events.push({ type: 'Warning', reason: PROBLEM_EVENT[p.reason] ?? p.reason, message: p.message });
  }
  events.push(...assignmentEvents(input, assigned));
  const oldAssigned = current?.conditions?.find((c) => c.type === ConditionType.Assigned);
  const lostAll = assigned.length === 0 && (current?.assignments?.length ?? 0) > 0;
  if (
    assignedCond.reason === Reason.NoGatewayAvailable &&
    oldAssigned?.reason !== Reason.NoGatewayAvailable &&
    !lostAll // the per-IP events already said it
  ) {
    events.push({ type: 'Warning', reason: EventReason.EgressIPNoGateway, message: assignedCond.message });
  }
  events.push(...cloudEvents(input.unassigned, oldText));
  return { status, changed: !sameStatus(current, status), events };
}

/** Status for an object that does not parse (the CRD schema should make this rare). */
export function computeInvalidPolicyStatus(input: {
  generation: number;
  current: StaticEgressIPStatus | undefined;
  message: string;
  now: Date;
}): PolicyStatusResult {
  const message = `the spec is invalid and is ignored: ${input.message}`;
  const conds: Cond[] = [
    { type: ConditionType.Ready, status: 'False', reason: Reason.InvalidSpec, message },
    { type: ConditionType.Assigned, status: 'False', reason: Reason.InvalidSpec, message },
    { type: ConditionType.Conflict, status: 'False', reason: Reason.NoConflict, message: 'no conflicts with other policies or nodes' },
  ];
  const status = buildStatus(input.generation, input.current, [], conds, input.now);
  const old = input.current?.conditions?.find((c) => c.type === ConditionType.Ready);
  const events: PolicyEvent[] =
    old?.reason === Reason.InvalidSpec && old.message === message
      ? []
      : [{ type: 'Warning', reason: EventReason.EgressIPInvalidSpec, message }];
  return { status, changed: !sameStatus(input.current, status), events };
}

type Cond = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

function assignedCondition(usable: string[], assigned: EgressIPAssignment[], unassigned: readonly Unassigned[], problems: Problem[]): Cond {
  const type = ConditionType.Assigned;
  if (usable.length === 0) {
    const reason = problems[0]?.reason ?? Reason.NoGatewayAvailable;
    return { type, status: 'False', reason, message: 'no egress IP of this policy may be assigned (see the Ready condition)' };
  }
  const held = assigned.map((a) => `${a.egressIP} on ${a.node}`).join(', ');
  if (assigned.length === usable.length) return { type, status: 'True', reason: Reason.Assigned, message: `held by gateway nodes: ${held}` };
  const parts: string[] = [];
  const draining = unassigned.filter((u) => u.reason === 'Draining');
  const noGateway = unassigned.filter((u) => u.reason === 'NoGatewayAvailable');
  if (noGateway.length) {
    const zoned = noGateway.filter((u) => u.zone !== undefined);
    parts.push(
      `no healthy gateway node can hold ${noGateway.map((u) => u.ip).join(', ')}: a gateway must match the pool's nodeSelector, ` +
        'be Ready and schedulable, answer the agent health probe, have capacity left and not hold another IP of this policy' +
        (zoned.length ? `, and be in the IP's zone (${zoned.map((u) => `${u.ip} in zone ${u.zone}`).join(', ')})` : ''),
    );
  }
  if (draining.length) {
    parts.push(`${draining.map((u) => `${u.ip} is being released by ${u.node}`).join(', ')} before it moves to another gateway`);
  }
  parts.push(...cloudParts(unassigned));
  if (assigned.length) parts.push(`held: ${held}`);
  const cloudReason = CLOUD_REASONS.find((r) => unassigned.some((u) => u.reason === r));
  const reason = assigned.length > 0 ? Reason.PartiallyAssigned : cloudReason ?? Reason.NoGatewayAvailable;
  return { type, status: 'False', reason, message: parts.join('; ') };
}

/** Cloud mode's reasons, the first present naming an Assigned=False with nothing held. */
const CLOUD_REASONS = [Reason.NoSubnet, Reason.NoCapacity, Reason.CloudPending] as const;

function cloudParts(unassigned: readonly Unassigned[]): string[] {
  const parts: string[] = [];
  const ips = (r: string) => unassigned.filter((u) => u.reason === r).map((u) => u.ip).join(', ');
  if (ips(Reason.NoSubnet)) parts.push(`${ips(Reason.NoSubnet)} lies in no gateway's cloud subnet: a gateway's interface subnet must contain it`);
  if (ips(Reason.NoCapacity)) {
    parts.push(`no gateway in the cloud subnet of ${ips(Reason.NoCapacity)} has room left on its interface (its cloud capacity is used up)`);
  }
  for (const u of unassigned.filter((x) => x.reason === 'CloudPending')) {
    parts.push(`${u.ip} is not held by ${u.node}'s cloud interface yet${u.error ? ` (last cloud error: ${u.error})` : ''}`);
  }
  return parts;
}

/** NoCapacity / NoSubnet when its text first shows in the condition; a cloud error likewise. */
function cloudEvents(unassigned: readonly Unassigned[], oldText: string): PolicyEvent[] {
  const events: PolicyEvent[] = [];
  const [noSubnet, noCapacity] = [Reason.NoSubnet, Reason.NoCapacity].map((r) => cloudParts(unassigned.filter((u) => u.reason === r))[0]);
  if (noSubnet && !oldText.includes(noSubnet)) events.push({ type: 'Warning', reason: EventReason.EgressIPNoSubnet, message: noSubnet });
  if (noCapacity && !oldText.includes(noCapacity)) events.push({ type: 'Warning', reason: EventReason.EgressIPNoCapacity, message: noCapacity });
  for (const u of unassigned) {
    if (u.error && !oldText.includes(u.error)) {
      events.push({ type: 'Warning', reason: EventReason.EgressIPCloudError, message: `egress IP ${u.ip} could not be moved to ${u.node} in the cloud: ${u.error}` });
    }
  }
  return events;
}

function podConflictProblem(c: PodConflict): Problem {
  const key = `also selected by ${c.winner} for the same destination ${c.destinations.join(', ')}`;
  const shown = c.pods.slice(0, 5).join(', ') + (c.pods.length > 5 ? `, … (${c.pods.length} in all)` : '');
  return {
    reason: Reason.PodConflict,
    key,
    message: `pods ${shown} are ${key}, which takes precedence there (namespaced before cluster-wide, then older); ` +
      'this policy does not apply to them on that destination',
  };
}

function joinMessages(ps: Problem[]): string {
  return ps.map((p) => p.message).join('; ');
}

function assignmentEvents(input: PolicyStatusInput, assigned: EgressIPAssignment[]): PolicyEvent[] {
  const before = new Map((input.current?.assignments ?? []).map((a) => [a.egressIP, a.node]));
  const after = new Map(assigned.map((a) => [a.egressIP, a.node]));
  const moveOf = new Map(input.moves.map((m) => [m.ip, m]));
  const why = (node: string) => input.nodeProblems?.get(node) ?? 'it is no longer a valid gateway';
  const events: PolicyEvent[] = [];
  for (const [ip, node] of after) {
    const old = before.get(ip);
    if (old === node) continue;
    const move = moveOf.get(ip);
    if (old !== undefined) {
      events.push({ type: 'Warning', reason: EventReason.EgressIPMoved, message: `egress IP ${ip} failed over from ${old} to ${node}: ${why(old)}` });
    } else if (move?.from !== undefined && move.from !== node) {
      events.push({ type: 'Normal', reason: EventReason.EgressIPMoved, message: `egress IP ${ip} moved from ${move.from} to ${node} after ${move.from} released it` });
    } else {
      events.push({ type: 'Normal', reason: EventReason.EgressIPAssigned, message: `egress IP ${ip} assigned to gateway node ${node}` });
    }
  }
  for (const [ip, node] of before) {
    if (after.has(ip)) continue;
    const u = input.unassigned.find((x) => x.ip === ip);
    if (u?.reason === 'Draining') {
      events.push({ type: 'Normal', reason: EventReason.EgressIPReleased, message: `egress IP ${ip} is being released by ${node} (${why(node)}); it moves to another gateway once ${node} has let go of it` });
    } else if (u?.reason === 'CloudPending') {
      events.push({ type: 'Normal', reason: EventReason.EgressIPUnassigned, message: `egress IP ${ip} left ${node} (${why(node)}); ${u.node} claims it once the cloud delivers it there` });
    } else if (u?.reason === 'NoGatewayAvailable') {
      events.push({ type: 'Warning', reason: EventReason.EgressIPNoGateway, message: `egress IP ${ip} lost its gateway ${node} (${why(node)}) and no other healthy gateway node can hold it; traffic pinned to it is dropped until one can` });
    } else {
      events.push({ type: 'Normal', reason: EventReason.EgressIPUnassigned, message: `egress IP ${ip} is no longer assigned to ${node}` });
    }
  }
  return events;
}

function buildStatus(
  generation: number,
  current: StaticEgressIPStatus | undefined,
  assignments: EgressIPAssignment[],
  owned: Cond[],
  now: Date,
): StaticEgressIPStatus {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const old = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  const conditions: Condition[] = owned.map((c) => {
    const prev = old.get(c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : stamp;
    return { ...c, observedGeneration: generation, lastTransitionTime: String(lastTransitionTime) };
  });
  for (const c of current?.conditions ?? []) if (!OWNED.includes(c.type) && !owned.some((o) => o.type === c.type)) conditions.push(c);
  return { observedGeneration: generation, assignments, nodes: computeStatusNodes(assignments), conditions };
}

function sameStatus(a: StaticEgressIPStatus | undefined, b: StaticEgressIPStatus): boolean {
  if (!a) return false;
  const norm = (s: StaticEgressIPStatus) =>
    JSON.stringify({
      g: s.observedGeneration ?? null,
      a: (s.assignments ?? []).map((x) => [x.egressIP, x.node]),
      n: s.nodes ?? null,
      c: [...(s.conditions ?? [])]
        .sort((x, y) => (x.type < y.type ? -1 : 1))
        .map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration ?? null, timeText(c.lastTransitionTime)]),
    });
  return norm(a) === norm(b);
}

function timeText(t: unknown): string {
  if (t instanceof Date) return t.toISOString().replace(/\.\d+Z$/, 'Z');
  return String(t);
}
