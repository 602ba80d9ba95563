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
// Dual-stack (issue 11): the spread rule holds per family — two egress IPs of one policy and one
// family never share a node, an IPv4 and an IPv6 one may; capacity counts both families.
//
// Cloud mode (input.cloud) adds two limits: an IP goes only to a node whose interface subnet contains
// it, and a node holds no more than its interface's capacity.
//
// Cost (bench/manager-assign.ts: 10,000 policies × 3 IPs over 1,000 nodes in ≤ 100 ms): every
// address is parsed once, every selector is matched once per node, a kept assignment costs O(1),
// and a new one O(log nodes) from its pool's least-loaded queue.
//
// A moved IP (failover, handover) goes to its first standby that may take it (crds computeStandbys,
// the ring the agents program the IP's SNAT ahead on, issue 16 §1), else least-loaded as a new one.
import {
  cidrContainsIP, comparePolicyAge, computeStandbyRing, computeStandbys, ipFamilyOf, matchesSelector, nodeInZone, parseCIDR, sortByIP, splitKey, topologyKeyOf, zoneOfIPIn,
  type CIDR,
} from '@static-egress/crds';
import { LeastLoaded } from './least-loaded.js';
import type { AssignInput, AssignNode, AssignPool, AssignResult, MoveKind, UnassignedReason } from './types.js';

export type * from './types.js';

/** A node as this pass sees it. */
interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Position in name order: "least loaded" breaks ties by name. */
  readonly index: number;
  /** The capacity annotation; Infinity when absent or malformed. */
  readonly cap: number;
  /** Present, Ready, not failing probes. */
  readonly alive: boolean;
  /** Names of the pools that admit it: alive, schedulable and matched by the pool's selector. */
  readonly pools: ReadonlySet<string>;
  /** Probed healthy: may claim new IPs (a node not probed yet only keeps what it holds). */
  readonly probed: boolean;
  /** Cloud mode: the subnets of its interface (none: it can hold no IP); undefined without a cloud. */
  readonly subnets: readonly CIDR[] | undefined;
  load: number;
  readonly poolLoad: Map<string, number>;
}

/** An IP some policy wants placed. */
interface WantedIP {
  readonly ip: string;
  readonly policy: PolicyPlacement;
  readonly pool: AssignPool;
  /** Zones: only nodes labelled pool.topologyKey=zone may hold it. */
  readonly zone: string | undefined;
}

/** One family of one policy (issue 11): an IPv4 and an IPv6 egress IP of a policy may share a node. */
interface PolicyPlacement {
  readonly key: string;
  /** The nodes holding one of its IPs of this family: never two on one node. */
  readonly nodes: NodeView[];
}

export function assignEgressIPs(input: AssignInput): AssignResult {
  const nodes = viewNodes(input);
  const wanted = wantedIPs(input);
  const pass = new Pass(input, nodes);
  const rest = [...wanted.values()].filter((w) => !pass.keep(w)); // pass 1: sticky
  for (const w of rest) pass.placeOrRelease(w); // pass 2
  pass.releaseUnwanted(wanted);
  return pass.result;
}

/** Present nodes by name (a tombstone or a missing node counts as deleted). */
function viewNodes(input: AssignInput): Map<string, NodeView> {
  const present = new Map<string, AssignNode>();
  for (const n of [...input.nodes].sort((a, b) => compareText(a.name, b.name))) if (!n.deleted) present.set(n.name, n);
  const pools = [...poolsByName(input).values()];
  const out = new Map<string, NodeView>();
  const subnetTexts = new Map<string, CIDR>();
  for (const n of present.values()) {
    const health = input.health.get(n.name);
    // A NotReady node whose agent still answers the signed probes is alive: its IPs leave it with
    // release-before-claim like a drain's, because it keeps announcing them until it lets go (issue 14).
    const alive = health === true || (n.ready && health !== false);
    const raw = n.annotations[input.capacityAnnotation];
    const cap = raw === undefined ? NaN : Number(raw);
    const cloud = input.cloud?.get(n.name);
    const cloudCap = input.cloud === undefined ? Infinity : Math.max(0, cloud?.capacity ?? 0);
    const admittedBy = alive && n.ready && !n.cordoned ? pools.filter((p) => matchesSelector(n.labels, p.nodeSelector)) : [];
    out.set(n.name, {
      name: n.name, labels: n.labels, index: out.size, alive, probed: health === true, load: 0, poolLoad: new Map(),
      cap: Math.min(Number.isInteger(cap) && cap >= 0 ? cap : Infinity, cloudCap),
      pools: new Set(admittedBy.map((p) => p.name)),
      subnets: input.cloud === undefined ? undefined : parseSubnets(cloud?.subnets ?? [], subnetTexts),
    });
  }
  return out;
}

/** A later pool of the same name wins, as with a Map built from the list. */
function poolsByName(input: AssignInput): Map<string, AssignPool> {
  return new Map(input.pools.map((p) => [p.name, p]));
}

/**
 * ip → WantedIP in placement order: oldest policy first (comparePolicyAge), its IPs in address
 * order; IPs of unknown pools are left out. An IP listed twice (the caller should have resolved
 * that) goes to the first, older policy.
 */
function wantedIPs(input: AssignInput): Map<string, WantedIP> {
  const pools = poolsByName(input);
  const policies = input.policies
    .map((p) => ({ p, age: { createdAt: p.createdAt, ...splitKey(p.key) } }))
    .sort((a, b) => comparePolicyAge(a.age, b.age))
    .map(({ p }) => p);
  const placements = new Map<string, PolicyPlacement>();
  const zoneOf = new Map<string, (ip: string) => string | undefined>();
  for (const p of pools.values()) if (p.cidrs?.some((c) => c.zone !== undefined)) zoneOf.set(p.name, zoneOfIPIn({ cidrs: p.cidrs }));
  const out = new Map<string, WantedIP>();
  for (const p of policies) {
    for (const { ip, pool: poolName } of p.ips.length > 1 ? sortByIP(p.ips, (e) => e.ip) : p.ips) {
      const pool = pools.get(poolName);
      if (pool === undefined || out.has(ip)) continue;
      const placementKey = `${p.key} ${ipFamilyOf(ip) ?? 4}`;
      let policy = placements.get(placementKey);
      if (policy === undefined) placements.set(placementKey, (policy = { key: p.key, nodes: [] }));
      out.set(ip, { ip, policy, pool, zone: zoneOf.get(poolName)?.(ip) });
    }
  }
  return out;
}

/** The state of one assignEgressIPs call: loads so far, and the result being built. */
class Pass {
  readonly result: AssignResult = { assignments: new Map(), unassigned: [], moves: [], releasing: new Map() };
  /** Per pool: the nodes that may claim its IPs, built on first use in pass 2. */
  private readonly queues = new Map<string, LeastLoaded<NodeView>>();
  /** Per pool and zone: the standby ring (standbyOf), built on first use. */
  private readonly rings = new Map<string, string[]>();
  private readonly releasingIn: ReadonlyMap<string, string>;
  /** Cloud mode: every node subnet, built on first use. */
  private subnets: CIDR[] | undefined;

  constructor(private readonly input: AssignInput, private readonly nodes: ReadonlyMap<string, NodeView>) {
    this.releasingIn = input.releasing ?? new Map();
  }

  /** Pass 1: keeps the previous holder if it is still a valid place for the IP. */
  keep(w: WantedIP): boolean {
    const holder = this.input.previous.get(w.ip);
    const n = holder === undefined ? undefined : this.nodes.get(holder);
    if (n === undefined || !n.pools.has(w.pool.name) || !inZone(n, w) || !fits(n, w.ip) || !this.hasRoom(n, w.pool) || this.holdsPolicy(n, w)) {
      return false;
    }
    this.place(w, n);
    return true;
  }

  /** Pass 2: release from a live holder, claim from a dead one, place a new IP least-loaded first. */
  placeOrRelease(w: WantedIP): void {
    const { ip, policy: { key: policyKey } } = w;
    const prev = this.input.previous.get(ip);
    if (prev !== undefined && this.isAlive(prev)) {
      this.result.releasing.set(ip, prev);
      this.result.unassigned.push({ ip, policyKey, reason: 'Draining', node: prev });
      this.result.moves.push({ ip, policyKey, from: prev, kind: 'release' });
      return;
    }
    const rel = this.releasingIn.get(ip);
    if (rel !== undefined && rel !== prev && this.isAlive(rel)) {
      this.result.releasing.set(ip, rel);
      this.result.unassigned.push({ ip, policyKey, reason: 'Draining', node: rel });
      return;
    }
    const from = prev ?? rel;
    const to = (from === undefined ? undefined : this.standbyOf(w, from)) ?? this.leastLoaded(w);
    if (to === undefined) {
      this.result.unassigned.push({ ip, policyKey, reason: this.whyNoNode(w), ...(w.zone === undefined ? {} : { zone: w.zone }) });
      if (prev !== undefined) this.result.moves.push({ ip, policyKey, from: prev, kind: 'failover' });
      return;
    }
    this.place(w, to);
    const kind: MoveKind = prev !== undefined ? 'failover' : rel !== undefined ? 'handover' : 'new';
    this.result.moves.push(from !== undefined ? { ip, policyKey, from, to: to.name, kind } : { ip, policyKey, to: to.name, kind });
  }

  /**
   * IPs nobody wants any more still have to be let go of by a live holder before anyone may claim
   * them again (e.g. an IP moved from a deleted policy to another one).
   */
  releaseUnwanted(wanted: ReadonlyMap<string, WantedIP>): void {
    for (const m of [this.input.previous, this.releasingIn]) {
      for (const [ip, node] of m) {
        if (!wanted.has(ip) && !this.result.releasing.has(ip) && this.isAlive(node)) this.result.releasing.set(ip, node);
      }
    }
  }

  /**
   * The first of the IP's standbys (the nodes its agents program it ahead on) that may claim it now.
   * The ring is the agents' (agent/standby.ts): the nodes that may hold the IP by the pool and zone,
   * whatever their health, in name order; `from`, the holder their caches still show, is skipped.
   */
  private standbyOf(w: WantedIP, from: string): NodeView | undefined {
    const key = queueKey(w.pool, w.zone, undefined);
    let ring = this.rings.get(key);
    if (ring === undefined) this.rings.set(key, ring = computeStandbyRing(this.input.nodes, w.pool, w.zone));
    for (const name of computeStandbys(ring, w.ip, from, this.input.standbysPerIP)) {
      const n = this.nodes.get(name);
      if (n && n.probed && n.pools.has(w.pool.name) && inZone(n, w) && this.hasRoom(n, w.pool) && fits(n, w.ip) && !this.holdsPolicy(n, w)) return n;
    }
    return undefined;
  }

  /** The least-loaded node (then by name) that may claim w and holds no IP of its policy yet. */
  private leastLoaded(w: WantedIP): NodeView | undefined {
    const queue = this.queueOf(w, this.subnetOf(w.ip));
    const samePolicy: NodeView[] = [];
    let n: NodeView | undefined;
    while ((n = queue.pop()) !== undefined) {
      if (!this.hasRoom(n, w.pool)) continue; // full for the rest of the pass: loads only grow
      if (!this.holdsPolicy(n, w)) break;
      samePolicy.push(n);
    }
    for (const s of samePolicy) queue.push(s);
    return n;
  }

  /**
   * The nodes that may claim IPs of w's pool and zone (in cloud mode, in `subnet` too: subnets of one
   * network do not overlap, so an IP lies in one at most).
   */
  private queueOf(w: WantedIP, subnet: CIDR | undefined): LeastLoaded<NodeView> {
    const { pool } = w;
    const key = queueKey(pool, w.zone, subnet);
    let q = this.queues.get(key);
    if (q === undefined) {
      const claimants = [...this.nodes.values()].filter(
        (n) => n.probed && n.pools.has(pool.name) && inZone(n, w) && this.hasRoom(n, pool) && (n.subnets === undefined || n.subnets.includes(subnet!)),
      );
      this.queues.set(key, (q = new LeastLoaded(claimants)));
    }
    return q;
  }

  /** Cloud mode: the one node subnet containing ip (a placeholder queue key when none does). */
  private subnetOf(ip: string): CIDR | undefined {
    if (this.input.cloud === undefined) return undefined;
    this.subnets ??= [...new Set([...this.nodes.values()].flatMap((n) => n.subnets ?? []))];
    return this.subnets.find((c) => cidrContainsIP(c, ip)) ?? NO_SUBNET;
  }

  /** Without a cloud every miss is NoGatewayAvailable, as before cloud mode existed. */
  private whyNoNode(w: WantedIP): UnassignedReason {
    if (this.input.cloud === undefined) return 'NoGatewayAvailable';
    const inSubnet = [...this.nodes.values()].filter((n) => fits(n, w.ip));
    if (inSubnet.length === 0) return 'NoSubnet';
    const couldClaim = inSubnet.some((n) => n.probed && n.pools.has(w.pool.name) && inZone(n, w) && !this.holdsPolicy(n, w));
    return couldClaim ? 'NoCapacity' : 'NoGatewayAvailable';
  }

  private place(w: WantedIP, n: NodeView): void {
    this.result.assignments.set(w.ip, n.name);
    n.load++;
    n.poolLoad.set(w.pool.name, (n.poolLoad.get(w.pool.name) ?? 0) + 1);
    w.policy.nodes.push(n);
    // back in line at its new load (an older entry is stale)
    if (n.subnets === undefined) this.queues.get(queueKey(w.pool, w.zone, undefined))?.push(n);
    else for (const c of n.subnets) this.queues.get(queueKey(w.pool, w.zone, c))?.push(n);
  }

  private hasRoom(n: NodeView, pool: AssignPool): boolean {
    return n.load < n.cap && (n.poolLoad.get(pool.name) ?? 0) < pool.maxIPsPerNode;
  }

  private holdsPolicy(n: NodeView, w: WantedIP): boolean {
    return w.policy.nodes.includes(n);
  }

  private isAlive(name: string): boolean {
    return this.nodes.get(name)?.alive ?? false;
  }
}

/** Queue key of an IP outside every node subnet: no node is in it. */
const NO_SUBNET: CIDR = { family: 4, text: 'none', network: -1, prefix: 32 };

/** A pool's IPs of one zone (one cloud subnet) share a queue; a node is in at most one zone of a pool. */
function queueKey(pool: AssignPool, zone: string | undefined, subnet: CIDR | undefined): string {
  return `${pool.name}${zone === undefined ? '' : ` zone=${zone}`}${subnet === undefined ? '' : ` ${subnet.text}`}`;
}

/** Zones: the node's label under the pool's topologyKey is the IP's zone (always, for an IP without one). */
function inZone(n: NodeView, w: WantedIP): boolean {
  return nodeInZone(n.labels, topologyKeyOf(w.pool), w.zone);
}

/** Whether the node's interface can hold ip (always, without a cloud). */
function fits(n: NodeView, ip: string): boolean {
  return n.subnets === undefined || n.subnets.some((c) => cidrContainsIP(c, ip));
}

/** The same text gives the same object (through `cache`), so queues can match subnets by identity. */
function parseSubnets(texts: readonly string[], cache: Map<string, CIDR>): CIDR[] {
  const out: CIDR[] = [];
  for (const t of texts) {
    let c = cache.get(t);
    if (c === undefined) {
      const parsed = parseCIDR(t);
      if (typeof parsed === 'string') continue; // a malformed subnet holds nothing
      cache.set(t, (c = parsed));
    }
    out.push(c);
  }
  return out;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
