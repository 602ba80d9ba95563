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

export function assignEgressIPs(input: AssignInput): AssignResult {
  const run = new AssignmentRun(input);
  run.collectWanted();
  run.keepValid(); // pass 1
  run.placeRest(); // pass 2
  run.releaseUnwanted();
  return { assignments: run.assignments, unassigned: run.unassigned, moves: run.moves, releasing: run.releasing };
}

/** Least-loaded order of the nodes that may take a new IP of one pool. */
interface Candidates {
  /** Node indices ordered by (load, index); only the first `len` are live. */
  list: Int32Array;
  len: number;
}

interface Age {
  createdAt: number;
  namespace: string;
  name: string;
}

/**
 * The state of one assignEgressIPs call. Each pass is a small method of its own so that the runtime
 * optimizes the hot loops early and cheaply (one large function is compiled late and slowly).
 */
class AssignmentRun {
  // Nodes, numbered in name order (the tie-break of "least loaded").
  private readonly nodes: AssignNode[];
  private readonly nodeIndex = new Map<string, number>();
  /** The capacity annotation; Infinity when absent or malformed. */
  private readonly cap: Float64Array;
  /** Present, Ready, not failing probes. */
  private readonly alive: Uint8Array;
  /** Alive and schedulable: may keep what it holds. */
  private readonly usable: Uint8Array;
  /** Usable and probed healthy: may claim new IPs. */
  private readonly probed: Uint8Array;

  // Pools, numbered; a later pool of the same name wins, as with a Map built from the list.
  private readonly pools: AssignPool[];
  private readonly poolIndex: Map<string, number>;
  /** Memoized selector match per pool × node: 0 unknown, 1 yes, 2 no. */
  private readonly selected: Uint8Array;

  private readonly load: Int32Array;
  private readonly poolLoad: Int32Array;

  // Wanted IPs as parallel arrays: ip, pool index, policy index (one per distinct policy key).
  private readonly wIP: string[] = [];
  private wPool = new Int32Array(0);
  private wPolicy = new Int32Array(0);
  private kept = new Uint8Array(0);
  private readonly seen = new Set<string>();
  private readonly policyKeys: string[] = [];
  /** Per policy: the nodes holding one of its IPs. */
  private readonly policyNodes: number[][] = [];
  /** How many previous entries are wanted IPs. */
  private previousWanted = 0;

  /** Candidate lists, built per pool on first use in pass 2 and kept sorted by (load, index). */
  private readonly candidates: (Candidates | undefined)[];
  private readonly built: number[] = [];

  private readonly releasingIn: ReadonlyMap<string, string>;
  readonly assignments = new Map<string, string>();
  readonly unassigned: Unassigned[] = [];
  readonly moves: Move[] = [];
  readonly releasing = new Map<string, string>();

  constructor(private readonly input: AssignInput) {
    const byName = new Map<string, AssignNode>();
    for (const n of [...input.nodes].sort((a, b) => cmp(a.name, b.name))) {
      if (!n.deleted) byName.set(n.name, n);
    }
    const nodes = (this.nodes = [...byName.values()]);
    const N = nodes.length;
    this.cap = new Float64Array(N);
    this.alive = new Uint8Array(N);
    this.usable = new Uint8Array(N);
    this.probed = new Uint8Array(N);
    for (let i = 0; i < N; i++) {
      const n = nodes[i]!;
      this.nodeIndex.set(n.name, i);
      const raw = n.annotations[input.capacityAnnotation];
      const v = raw === undefined ? NaN : Number(raw);
      this.cap[i] = Number.isInteger(v) && v >= 0 ? v : Infinity;
      const health = input.health.get(n.name);
      const alive = n.ready && health !== false;
      this.alive[i] = alive ? 1 : 0;
      this.usable[i] = alive && !n.cordoned ? 1 : 0;
      this.probed[i] = alive && !n.cordoned && health === true ? 1 : 0;
    }
    this.pools = [...new Map(input.pools.map((p) => [p.name, p])).values()];
    this.poolIndex = new Map(this.pools.map((p, i) => [p.name, i]));
    this.selected = new Uint8Array(this.pools.length * N);
    this.load = new Int32Array(N);
    this.poolLoad = new Int32Array(this.pools.length * N);
    this.candidates = new Array<Candidates | undefined>(this.pools.length);
    this.releasingIn = input.releasing ?? new Map<string, string>();
  }

  private isAlive(name: string): boolean {
    const i = this.nodeIndex.get(name);
    return i !== undefined && this.alive[i] === 1;
  }

  /** Node i may hold an IP of pool q: alive, schedulable and admitted by the pool selector. */
  private admits(i: number, q: number): boolean {
    if (this.usable[i] !== 1) return false;
    const k = q * this.nodes.length + i;
    let m = this.selected[k]!;
    if (m === 0) this.selected[k] = m = matchesSelector(this.nodes[i]!.labels, this.pools[q]!.nodeSelector) ? 1 : 2;
    return m === 1;
  }

  private hasRoom(i: number, q: number): boolean {
    return this.load[i]! < this.cap[i]! && this.poolLoad[q * this.nodes.length + i]! < this.pools[q]!.maxIPsPerNode;
  }

  /**
   * Deterministic order: oldest policy first (comparePolicyAge), IPs in address order; an IP listed
   * twice (the caller should have resolved that) goes to the first, older policy.
   */
  collectWanted(): void {
    const policies = this.input.policies;
    const ages = new Array<Age | undefined>(policies.length);
    const ageOf = (k: number): Age => (ages[k] ??= { createdAt: policies[k]!.createdAt, ...splitKey(policies[k]!.key) });
    const order = policies.map((_, k) => k).sort((a, b) => {
      const x = policies[a]!.createdAt;
      const y = policies[b]!.createdAt;
      if (x !== y) return x < y ? -1 : 1;
      return comparePolicyAge(ageOf(a), ageOf(b));
    });
    let total = 0;
    for (const pol of policies) total += pol.ips.length;
    this.wPool = new Int32Array(total);
    this.wPolicy = new Int32Array(total);
    const policyIndex = new Map<string, number>();
    let lastPoolName: string | undefined;
    let lastPool: number | undefined;
    for (const k of order) {
      const pol = policies[k]!;
      const ips = pol.ips;
      const ipOrder = ips.length > 1 ? addressOrder(ips) : undefined;
      let policy = policyIndex.get(pol.key);
      for (let j = 0; j < ips.length; j++) {
        const { ip, pool: poolName } = ips[ipOrder ? ipOrder[j]! : j]!;
        if (poolName !== lastPoolName) {
          lastPoolName = poolName;
          lastPool = this.poolIndex.get(poolName);
        }
        if (lastPool === undefined) continue;
        const size = this.seen.size;
        if (this.seen.add(ip).size === size) continue;
        if (policy === undefined) {
          policyIndex.set(pol.key, (policy = this.policyNodes.length));
          this.policyKeys.push(pol.key);
          this.policyNodes.push([]);
        }
        this.wPool[this.wIP.length] = lastPool;
        this.wPolicy[this.wIP.length] = policy;
        this.wIP.push(ip);
      }
    }
    this.kept = new Uint8Array(this.wIP.length);
  }

  /** Pass 1, sticky: keep every previous assignment that is still valid. O(1) per IP. */
  keepValid(): void {
    const previous = this.input.previous;
    if (previous.size === 0) return;
    const W = this.wIP.length;
    for (let w = 0; w < W; w++) {
      const holder = previous.get(this.wIP[w]!);
      if (holder === undefined) continue;
      this.previousWanted++;
      const i = this.nodeIndex.get(holder);
      const q = this.wPool[w]!;
      if (i === undefined || !this.admits(i, q) || !this.hasRoom(i, q)) continue;
      if (this.policyNodes[this.wPolicy[w]!]!.includes(i)) continue;
      this.place(w, i);
      this.kept[w] = 1;
    }
  }

  /** Pass 2: release from live holders, claim from dead ones, place new IPs least-loaded first. */
  placeRest(): void {
    const W = this.wIP.length;
    for (let w = 0; w < W; w++) if (this.kept[w] !== 1) this.placeOne(w);
  }

  private placeOne(w: number): void {
    const ip = this.wIP[w]!;
    const policyKey = this.policyKeys[this.wPolicy[w]!]!;
    const prev = this.input.previous.get(ip);
    if (prev !== undefined && this.isAlive(prev)) {
      this.releasing.set(ip, prev);
      this.unassigned.push({ ip, policyKey, reason: 'Draining', node: prev });
      this.moves.push({ ip, policyKey, from: prev, kind: 'release' });
      return;
    }
    const rel = this.releasingIn.size === 0 ? undefined : this.releasingIn.get(ip);
    if (rel !== undefined && rel !== prev && this.isAlive(rel)) {
      this.releasing.set(ip, rel);
      this.unassigned.push({ ip, policyKey, reason: 'Draining', node: rel });
      return;
    }
    // The first candidate (least loaded, then by name) not already holding an IP of this policy.
    const taken = this.policyNodes[this.wPolicy[w]!]!;
    const c = this.candidatesOf(this.wPool[w]!);
    let best = -1;
    for (let k = 0; k < c.len; k++) {
      const i = c.list[k]!;
      if (!taken.includes(i)) {
        best = i;
        break;
      }
    }
    if (best < 0) {
      this.unassigned.push({ ip, policyKey, reason: 'NoGatewayAvailable' });
      if (prev !== undefined) this.moves.push({ ip, policyKey, from: prev, kind: 'failover' });
      return;
    }
    this.place(w, best);
    const to = this.nodes[best]!.name;
    const from = prev ?? rel;
    const kind: MoveKind = prev !== undefined ? 'failover' : rel !== undefined ? 'handover' : 'new';
    this.moves.push(from !== undefined ? { ip, policyKey, from, to, kind } : { ip, policyKey, to, kind });
  }

  /**
   * IPs nobody wants any more still have to be let go of by a live holder before anyone may claim
   * them again (e.g. an IP moved from a deleted policy to another one). The previous entries are
   * skipped when all of them are wanted IPs (the common case).
   */
  releaseUnwanted(): void {
    const previous = this.input.previous;
    for (const m of [this.previousWanted === previous.size ? undefined : previous, this.releasingIn]) {
      if (m) for (const [ip, node] of m) {
        if (!this.seen.has(ip) && !this.releasing.has(ip) && this.isAlive(node)) this.releasing.set(ip, node);
      }
    }
  }

  private candidatesOf(q: number): Candidates {
    let c = this.candidates[q];
    if (c) return c;
    const ids: number[] = [];
    for (let i = 0; i < this.nodes.length; i++) if (this.probed[i] === 1 && this.admits(i, q) && this.hasRoom(i, q)) ids.push(i);
    const load = this.load;
    ids.sort((a, b) => load[a]! - load[b]! || a - b);
    c = { list: Int32Array.from(ids), len: ids.length };
    this.candidates[q] = c;
    this.built.push(q);
    return c;
  }

  /** First position in list[lo, len) whose node does not come before (l, i); node i itself never does. */
  private lowerBound(c: Candidates, lo: number, l: number, i: number): number {
    const load = this.load;
    let hi = c.len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = c.list[mid]!;
      const lx = load[x]!;
      if (x !== i && (lx < l || (lx === l && x < i))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Puts wanted IP w on node i; moves i back in every candidate list (or out, once full). */
  private place(w: number, i: number): void {
    const N = this.nodes.length;
    const q0 = this.wPool[w]!;
    this.assignments.set(this.wIP[w]!, this.nodes[i]!.name);
    const old = this.load[i]!;
    this.load[i] = old + 1;
    this.poolLoad[q0 * N + i]!++;
    this.policyNodes[this.wPolicy[w]!]!.push(i);
    if (this.built.length === 0) return;
    const full = old + 1 >= this.cap[i]!;
    for (const q of this.built) {
      const c = this.candidates[q]!;
      const at = this.lowerBound(c, 0, old, i);
      if (at >= c.len || c.list[at] !== i) continue; // not a candidate of q
      if (full || (q === q0 && this.poolLoad[q * N + i]! >= this.pools[q]!.maxIPsPerNode)) {
        c.list.copyWithin(at, at + 1, c.len);
        c.len--;
      } else {
        const to = this.lowerBound(c, at + 1, old + 1, i);
        c.list.copyWithin(at, at + 1, to);
        c.list[to - 1] = i;
      }
    }
  }
}

/** The order of a policy's IPs by address (indices into `ips`), or undefined if already in order. */
function addressOrder(ips: readonly { ip: string }[]): number[] | undefined {
  // Usually plain IPv4 listed in order already: checked without allocating.
  let last = -1;
  for (const { ip } of ips) {
    const v = plainIPv4(ip);
    if (v === undefined || v < last) {
      const keys = ips.map((e) => ipSortKey(e.ip));
      return keys.map((_, j) => j).sort((a, b) => compareIPKeys(keys[a]!, keys[b]!));
    }
    last = v;
  }
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
