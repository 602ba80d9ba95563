// Pure egress-IP → gateway-node assignment (DESIGN §4). No I/O, no clock, no mutation of the input.
//
// Planned moves use release-before-claim in two phases. When the holder of an IP is still alive
// (Node present, Ready, not failing probes) but no longer a valid place for it (cordoned, no longer
// admitted by the pool, over a lowered capacity), this pass only takes the IP away: it comes back
// in `unassigned` with reason `Draining` and in `releasing` (ip → old holder). The caller keeps
// passing that entry in `input.releasing` until it has observed the old holder's agent let go of the
// address (or the holder dies); only then does a later pass place the IP on another node. A dead
// holder's IPs are claimed at once: the dead node fences itself (DESIGN §5).
import { comparePolicyAge, matchesSelector, splitKey, type LabelSelector } from '@static-egress/crds';
import { compareIPs } from './ip-order.js';

export interface AssignPolicy {
  /** 'namespace/name' */
  key: string;
  /** creationTimestamp in ms; older policies are placed (and keep capacity) first. */
  createdAt: number;
  /** Only the authorized egress IPs of the policy, each with the pool that admitted it. */
  ips: readonly { ip: string; pool: string }[];
}

export interface AssignPool {
  name: string;
  nodeSelector?: LabelSelector;
  maxIPsPerNode: number;
}

export interface AssignNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  ready: boolean;
  /** spec.unschedulable: the node drains. */
  cordoned: boolean;
  /** A tombstone: the Node object is gone. A node missing from the list counts as deleted too. */
  deleted?: boolean;
}

export interface AssignInput {
  policies: readonly AssignPolicy[];
  pools: readonly AssignPool[];
  nodes: readonly AssignNode[];
  /**
   * Probe verdict per node. `true`: healthy. `false`: failed the probe threshold. Missing: not probed
   * yet (e.g. just after a leader takeover) — the node keeps what it holds but claims nothing new.
   */
  health: ReadonlyMap<string, boolean>;
  /** ip → node, the assignments currently published (status.assignments of every policy). */
  previous: ReadonlyMap<string, string>;
  /** ip → node that was told to release it and has not been seen to let go yet. */
  releasing?: ReadonlyMap<string, string>;
  /** The capacity annotation (MAX_IPS_ANNOTATION); it can only lower a pool's maxIPsPerNode. */
  capacityAnnotation: string;
}

export type UnassignedReason = 'Draining' | 'NoGatewayAvailable';

export interface Unassigned {
  ip: string;
  policyKey: string;
  reason: UnassignedReason;
  /** For Draining: the node that is releasing the IP. */
  node?: string;
}

export type MoveKind =
  /** The previous holder died (deleted, NotReady, failed probes); claimed at once. */
  | 'failover'
  /** The previous holder released it (drain confirmed); this pass places it. */
  | 'handover'
  /** Placed for the first time. */
  | 'new'
  /** Taken from a live holder; the IP stays unassigned until the release is confirmed. */
  | 'release';

export interface Move {
  ip: string;
  policyKey: string;
  from?: string;
  to?: string;
  kind: MoveKind;
}

export interface AssignResult {
  assignments: Map<string, string>;
  unassigned: Unassigned[];
  moves: Move[];
  /** ip → node that still has to confirm its release; feed back as `input.releasing`. */
  releasing: Map<string, string>;
}

interface PlacedIP {
  ip: string;
  pool: AssignPool;
  policyKey: string;
}

export function assignEgressIPs(input: AssignInput): AssignResult {
  const nodes = new Map<string, AssignNode>();
  for (const n of [...input.nodes].sort((a, b) => cmp(a.name, b.name))) {
    if (!n.deleted) nodes.set(n.name, n);
  }
  const pools = new Map(input.pools.map((p) => [p.name, p]));
  const releasingIn = input.releasing ?? new Map<string, string>();

  const alive = (name: string): boolean => {
    const n = nodes.get(name);
    return n !== undefined && n.ready && input.health.get(name) !== false;
  };
  const totalCap = (n: AssignNode): number => {
    const raw = n.annotations[input.capacityAnnotation];
    const v = raw === undefined ? NaN : Number(raw);
    return Number.isInteger(v) && v >= 0 ? v : Infinity;
  };
  // A node may hold an IP of `pool` if it is alive, schedulable and admitted by the pool selector.
  const admits = (n: AssignNode, pool: AssignPool): boolean =>
    alive(n.name) && !n.cordoned && matchesSelector(n.labels, pool.nodeSelector);

  const load = new Map<string, number>();
  const poolLoad = new Map<string, number>(); // `${pool}\0${node}`
  const policyNodes = new Map<string, Set<string>>();
  const assignments = new Map<string, string>();
  const hasRoom = (n: AssignNode, pool: AssignPool): boolean =>
    (load.get(n.name) ?? 0) < totalCap(n) &&
    (poolLoad.get(`${pool.name}\0${n.name}`) ?? 0) < pool.maxIPsPerNode;
  const place = (p: PlacedIP, node: string): void => {
    assignments.set(p.ip, node);
    load.set(node, (load.get(node) ?? 0) + 1);
    const pk = `${p.pool.name}\0${node}`;
    poolLoad.set(pk, (poolLoad.get(pk) ?? 0) + 1);
    let s = policyNodes.get(p.policyKey);
    if (!s) policyNodes.set(p.policyKey, (s = new Set()));
    s.add(node);
  };

  // Deterministic order: oldest policy first (comparePolicyAge), IPs in address order; an IP listed twice
  // (the caller should have resolved that) goes to the first, older policy.
  const wanted: PlacedIP[] = [];
  const seen = new Set<string>();
  const age = (p: AssignPolicy) => ({ createdAt: p.createdAt, ...splitKey(p.key) });
  const policies = [...input.policies].sort((a, b) => comparePolicyAge(age(a), age(b)));
  for (const pol of policies) {
    for (const { ip, pool: poolName } of [...pol.ips].sort((a, b) => compareIPs(a.ip, b.ip))) {
      const pool = pools.get(poolName);
      if (!pool || seen.has(ip)) continue;
      seen.add(ip);
      wanted.push({ ip, pool, policyKey: pol.key });
    }
  }

  // Pass 1, sticky: keep every previous assignment that is still valid.
  const kept = new Set<string>();
  for (const p of wanted) {
    const holder = input.previous.get(p.ip);
    const n = holder === undefined ? undefined : nodes.get(holder);
    if (!n || !admits(n, p.pool) || !hasRoom(n, p.pool)) continue;
    if (policyNodes.get(p.policyKey)?.has(n.name)) continue;
    place(p, n.name);
    kept.add(p.ip);
  }

  // Pass 2: release from live holders, claim from dead ones, place new IPs least-loaded first.
  const unassigned: Unassigned[] = [];
  const moves: Move[] = [];
  const releasing = new Map<string, string>();
  for (const p of wanted) {
    if (kept.has(p.ip)) continue;
    const prev = input.previous.get(p.ip);
    if (prev !== undefined && alive(prev)) {
      releasing.set(p.ip, prev);
      unassigned.push({ ip: p.ip, policyKey: p.policyKey, reason: 'Draining', node: prev });
      moves.push({ ip: p.ip, policyKey: p.policyKey, from: prev, kind: 'release' });
      continue;
    }
    const rel = releasingIn.get(p.ip);
    if (rel !== undefined && rel !== prev && alive(rel)) {
      releasing.set(p.ip, rel);
      unassigned.push({ ip: p.ip, policyKey: p.policyKey, reason: 'Draining', node: rel });
      continue;
    }
    const taken = policyNodes.get(p.policyKey);
    let best: AssignNode | undefined;
    for (const n of nodes.values()) {
      if (input.health.get(n.name) !== true || !admits(n, p.pool) || !hasRoom(n, p.pool)) continue;
      if (taken?.has(n.name)) continue;
      if (!best || (load.get(n.name) ?? 0) < (load.get(best.name) ?? 0)) best = n;
    }
    if (!best) {
      unassigned.push({ ip: p.ip, policyKey: p.policyKey, reason: 'NoGatewayAvailable' });
      if (prev !== undefined) moves.push({ ip: p.ip, policyKey: p.policyKey, from: prev, kind: 'failover' });
      continue;
    }
    place(p, best.name);
    const from = prev ?? rel;
    const kind: MoveKind = prev !== undefined ? 'failover' : rel !== undefined ? 'handover' : 'new';
    moves.push({ ip: p.ip, policyKey: p.policyKey, ...(from !== undefined ? { from } : {}), to: best.name, kind });
  }

  // IPs nobody wants any more still have to be let go of by a live holder before anyone may claim
  // them again (e.g. an IP moved from a deleted policy to another one).
  for (const [ip, node] of [...input.previous, ...releasingIn]) {
    if (!seen.has(ip) && !releasing.has(ip) && alive(node)) releasing.set(ip, node);
  }

  return { assignments, unassigned, moves, releasing };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
