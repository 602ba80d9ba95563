// Pure egress-IP → gateway-node assignment (DESIGN §4). No I/O, no clock, no mutation of the input.
//
// Planned moves use release-before-claim in two phases. When the holder of an IP is still alive
// (Node present, Ready, not failing probes) but no longer a valid place for it (cordoned, no longer
// admitted by the pool, over a lowered capacity), this pass only takes the IP away: it comes back
// in `unassigned` with reason `Draining` and in `releasing` (ip → old holder). The caller keeps
// passing that entry in `input.releasing` until it has observed the old holder's agent let go of the
// address (or the holder dies); only then does a later pass place the IP on another node. A dead
// holder's IPs are claimed at once: the dead node fences itself (DESIGN §5).
//
// Cost (issue 5: 1,000 policies × 3 IPs over 100 nodes in ≤ 100 ms, reassign after one node loss in
// ≤ 10 ms): sort keys are computed once per policy and per IP, nodes are numbered, selector matches
// are memoized per pool × node, loads live in typed arrays. A still-valid previous assignment costs
// O(1). Placing an IP reads the front of its pool's candidate list (healthy, admitted nodes with
// room, ordered by load then name), skipping only the few nodes that already hold an IP of the same
// policy; a placement moves that node back in each list by its new load.
import { comparePolicyAge, matchesSelector, splitKey, type LabelSelector } from '@static-egress/crds';
import { compareIPKeys, ipSortKey, plainIPv4 } from './ip-order.js';

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

/** Least-loaded order of the nodes that may take a new IP of one pool. */
interface Candidates {
  /** Node indices ordered by (load, index); only the first `len` are live. */
  list: Int32Array;
  len: number;
}

export function assignEgressIPs(input: AssignInput): AssignResult {
  // Nodes, numbered in name order (the tie-break of "least loaded").
  const byName = new Map<string, AssignNode>();
  for (const n of [...input.nodes].sort((a, b) => cmp(a.name, b.name))) {
    if (!n.deleted) byName.set(n.name, n);
  }
  const nodes = [...byName.values()];
  const N = nodes.length;
  const nodeIndex = new Map<string, number>();
  const cap = new Float64Array(N); // the capacity annotation; Infinity when absent or malformed
  const alive = new Uint8Array(N); // present, Ready, not failing probes
  const usable = new Uint8Array(N); // alive, schedulable: may keep what it holds
  const probed = new Uint8Array(N); // usable and probed healthy: may claim new IPs
  for (let i = 0; i < N; i++) {
    const n = nodes[i]!;
    nodeIndex.set(n.name, i);
    const raw = n.annotations[input.capacityAnnotation];
    const v = raw === undefined ? NaN : Number(raw);
    cap[i] = Number.isInteger(v) && v >= 0 ? v : Infinity;
    const health = input.health.get(n.name);
    alive[i] = n.ready && health !== false ? 1 : 0;
    usable[i] = alive[i] && !n.cordoned ? 1 : 0;
    probed[i] = usable[i] && health === true ? 1 : 0;
  }
  const isAlive = (name: string): boolean => {
    const i = nodeIndex.get(name);
    return i !== undefined && alive[i] === 1;
  };

  // Pools, numbered; a later pool of the same name wins, as with a Map built from the list.
  const poolByName = new Map(input.pools.map((p) => [p.name, p]));
  const pools = [...poolByName.values()];
  const poolIndex = new Map(pools.map((p, i) => [p.name, i]));
  const P = pools.length;
  const selected = new Uint8Array(P * N); // memoized selector match: 0 unknown, 1 yes, 2 no
  const admits = (i: number, q: number): boolean => {
    if (usable[i] !== 1) return false;
    const k = q * N + i;
    let m = selected[k]!;
    if (m === 0) selected[k] = m = matchesSelector(nodes[i]!.labels, pools[q]!.nodeSelector) ? 1 : 2;
    return m === 1;
  };

  // Deterministic order: oldest policy first (comparePolicyAge), IPs in address order; an IP listed twice
  // (the caller should have resolved that) goes to the first, older policy. Wanted IPs are kept as
  // parallel arrays: ip, pool index, policy index (one per distinct policy key).
  const inPolicies = input.policies;
  const ages: (Age | undefined)[] = new Array<Age | undefined>(inPolicies.length);
  const ageOf = (k: number): Age => (ages[k] ??= { createdAt: inPolicies[k]!.createdAt, ...splitKey(inPolicies[k]!.key) });
  const order = inPolicies.map((_, k) => k).sort((a, b) => {
    const x = inPolicies[a]!.createdAt;
    const y = inPolicies[b]!.createdAt;
    if (x !== y) return x < y ? -1 : 1;
    return comparePolicyAge(ageOf(a), ageOf(b));
  });
  let total = 0;
  for (const pol of inPolicies) total += pol.ips.length;
  const wIP: string[] = [];
  const wPool = new Int32Array(total);
  const wPolicy = new Int32Array(total);
  const policyIndex = new Map<string, number>();
  const policyKeys: string[] = [];
  const policyNodes: number[][] = []; // per policy key: nodes holding one of its IPs
  const seen = new Set<string>();
  let lastPoolName: string | undefined;
  let lastPool: number | undefined;
  for (const k of order) {
    const pol = inPolicies[k]!;
    const ips = pol.ips;
    const m = ips.length;
    let ipOrder: readonly number[] | undefined; // undefined: already in address order
    if (m > 1) {
      // Usually plain IPv4 listed in order already: checked without allocating.
      let sorted = true;
      for (let j = 0, last = -1; j < m && sorted; j++) {
        const v = plainIPv4(ips[j]!.ip);
        sorted = v !== undefined && v >= last;
        last = v ?? last;
      }
      if (!sorted) {
        const keys = ips.map((e) => ipSortKey(e.ip));
        ipOrder = keys.map((_, j) => j).sort((a, b) => compareIPKeys(keys[a]!, keys[b]!));
      }
    }
    let policy = policyIndex.get(pol.key);
    for (let j = 0; j < m; j++) {
      const { ip, pool: poolName } = ips[ipOrder ? ipOrder[j]! : j]!;
      if (poolName !== lastPoolName) {
        lastPoolName = poolName;
        lastPool = poolIndex.get(poolName);
      }
      if (lastPool === undefined) continue;
      const size = seen.size;
      if (seen.add(ip).size === size) continue;
      if (policy === undefined) {
        policyIndex.set(pol.key, (policy = policyNodes.length));
        policyKeys.push(pol.key);
        policyNodes.push([]);
      }
      wPool[wIP.length] = lastPool;
      wPolicy[wIP.length] = policy;
      wIP.push(ip);
    }
  }
  const W = wIP.length;

  const load = new Int32Array(N);
  const poolLoad = new Int32Array(P * N);
  const hasRoom = (i: number, q: number): boolean => load[i]! < cap[i]! && poolLoad[q * N + i]! < pools[q]!.maxIPsPerNode;
  const assignments = new Map<string, string>();

  // Candidate lists, built per pool on first use in pass 2 and kept sorted by (load, index).
  const candidates: (Candidates | undefined)[] = new Array<Candidates | undefined>(P);
  const built: number[] = [];
  const candidatesOf = (q: number): Candidates => {
    let c = candidates[q];
    if (c) return c;
    const ids: number[] = [];
    for (let i = 0; i < N; i++) if (probed[i] === 1 && admits(i, q) && hasRoom(i, q)) ids.push(i);
    ids.sort((a, b) => load[a]! - load[b]! || a - b);
    c = { list: Int32Array.from(ids), len: ids.length };
    candidates[q] = c;
    built.push(q);
    return c;
  };
  // First position in list[lo, len) whose node does not come before (l, i); node i itself never does.
  const lowerBound = (c: Candidates, lo: number, l: number, i: number): number => {
    let hi = c.len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = c.list[mid]!;
      const lx = load[x]!;
      if (x !== i && (lx < l || (lx === l && x < i))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const place = (w: number, i: number): void => {
    const q0 = wPool[w]!;
    assignments.set(wIP[w]!, nodes[i]!.name);
    const old = load[i]!;
    load[i] = old + 1;
    poolLoad[q0 * N + i]!++;
    policyNodes[wPolicy[w]!]!.push(i);
    const full = load[i]! >= cap[i]!;
    for (const q of built) {
      const c = candidates[q]!;
      const at = lowerBound(c, 0, old, i);
      if (at >= c.len || c.list[at] !== i) continue; // not a candidate of q
      if (full || (q === q0 && poolLoad[q * N + i]! >= pools[q]!.maxIPsPerNode)) {
        c.list.copyWithin(at, at + 1, c.len);
        c.len--;
      } else {
        const to = lowerBound(c, at + 1, old + 1, i);
        c.list.copyWithin(at, at + 1, to);
        c.list[to - 1] = i;
      }
    }
  };

  // Pass 1, sticky: keep every previous assignment that is still valid. O(1) per IP.
  const kept = new Uint8Array(W);
  let previousWanted = 0;
  for (let w = 0; w < W && input.previous.size > 0; w++) {
    const holder = input.previous.get(wIP[w]!);
    if (holder === undefined) continue;
    previousWanted++;
    const i = nodeIndex.get(holder);
    const q = wPool[w]!;
    if (i === undefined || !admits(i, q) || !hasRoom(i, q)) continue;
    if (policyNodes[wPolicy[w]!]!.includes(i)) continue;
    place(w, i);
    kept[w] = 1;
  }

  // Pass 2: release from live holders, claim from dead ones, place new IPs least-loaded first.
  const releasingIn = input.releasing ?? new Map<string, string>();
  const unassigned: Unassigned[] = [];
  const moves: Move[] = [];
  const releasing = new Map<string, string>();
  for (let w = 0; w < W; w++) {
    if (kept[w] === 1) continue;
    const ip = wIP[w]!;
    const policyKey = policyKeys[wPolicy[w]!]!;
    const prev = input.previous.get(ip);
    if (prev !== undefined && isAlive(prev)) {
      releasing.set(ip, prev);
      unassigned.push({ ip, policyKey, reason: 'Draining', node: prev });
      moves.push({ ip, policyKey, from: prev, kind: 'release' });
      continue;
    }
    const rel = releasingIn.size === 0 ? undefined : releasingIn.get(ip);
    if (rel !== undefined && rel !== prev && isAlive(rel)) {
      releasing.set(ip, rel);
      unassigned.push({ ip, policyKey, reason: 'Draining', node: rel });
      continue;
    }
    // The first candidate (least loaded, then by name) not already holding an IP of this policy.
    const taken = policyNodes[wPolicy[w]!]!;
    const c = candidatesOf(wPool[w]!);
    let best = -1;
    for (let k = 0; k < c.len; k++) {
      const i = c.list[k]!;
      if (!taken.includes(i)) {
        best = i;
        break;
      }
    }
    if (best < 0) {
      unassigned.push({ ip, policyKey, reason: 'NoGatewayAvailable' });
      if (prev !== undefined) moves.push({ ip, policyKey, from: prev, kind: 'failover' });
      continue;
    }
    place(w, best);
    const to = nodes[best]!.name;
    const from = prev ?? rel;
    const kind: MoveKind = prev !== undefined ? 'failover' : rel !== undefined ? 'handover' : 'new';
    moves.push(from !== undefined ? { ip, policyKey, from, to, kind } : { ip, policyKey, to, kind });
  }

  // IPs nobody wants any more still have to be let go of by a live holder before anyone may claim
  // them again (e.g. an IP moved from a deleted policy to another one). Skipped when every previous
  // entry is a wanted IP (the common case).
  for (const m of [previousWanted === input.previous.size ? undefined : input.previous, releasingIn]) {
    if (m) for (const [ip, node] of m) {
      if (!seen.has(ip) && !releasing.has(ip) && isAlive(node)) releasing.set(ip, node);
    }
  }

  return { assignments, unassigned, moves, releasing };
}

interface Age {
  createdAt: number;
  namespace: string;
  name: string;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
