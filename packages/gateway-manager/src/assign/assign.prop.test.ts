// Properties of assignEgressIPs, one block per invariant of DESIGN §4, 1,000 runs each. Inputs are
// random worlds in random order; the multi-round ones replay nodes failing, joining, cordoning and
// agents releasing late, feeding each round's output into the next.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipFamilyOf, matchesSelector, type LabelSelector } from '@static-egress/crds';
import {
  assignEgressIPs,
  type AssignInput,
  type AssignNode,
  type AssignPolicy,
  type AssignPool,
  type AssignResult,
} from './assign.js';

const RUNS = 1000;
const ANN = 'staticegress.io/max-egress-ips';
const NODE_NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
/** Both families (issue 11): the spread invariant is per policy and family. */
const IPS = [...Array.from({ length: 8 }, (_, i) => `192.0.2.${100 + i}`), ...Array.from({ length: 6 }, (_, i) => `2001:db8::${100 + i}`)];

const nodeArb: fc.Arbitrary<AssignNode> = fc.record({
  name: fc.constantFrom(...NODE_NAMES),
  gw: fc.boolean(),
  zone: fc.constantFrom('a', 'b'),
  cap: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 3 }),
  ready: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  cordoned: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
}).map(({ name, gw, zone, cap, ready, cordoned }): AssignNode => ({
  name,
  labels: gw ? { zone, gw: '' } : { zone },
  annotations: cap === null ? {} : { [ANN]: String(cap) },
  ready,
  cordoned,
}));

const poolsArb: fc.Arbitrary<AssignPool[]> = fc.tuple(
  fc.option(fc.constantFrom<LabelSelector>({ matchLabels: { gw: '' } }, { matchLabels: { zone: 'a' } }), { freq: 2 }),
  fc.integer({ min: 1, max: 4 }),
  fc.option(fc.constantFrom<LabelSelector>({ matchLabels: { zone: 'b' } }, { matchLabels: { gw: '' } }), { freq: 2 }),
  fc.integer({ min: 1, max: 4 }),
).map(([s0, m0, s1, m1]) => [
  { name: 'p0', ...(s0 ? { nodeSelector: s0 } : {}), maxIPsPerNode: m0 },
  { name: 'p1', ...(s1 ? { nodeSelector: s1 } : {}), maxIPsPerNode: m1 },
]);

/** Policies own disjoint IP sets (authorizeEgressIPs guarantees that upstream). */
const policiesArb: fc.Arbitrary<AssignPolicy[]> = fc
  .tuple(
    fc.shuffledSubarray(IPS, { minLength: 1 }),
    fc.array(fc.integer({ min: 0, max: 4 }), { minLength: IPS.length, maxLength: IPS.length }),
    fc.array(fc.constantFrom('p0', 'p1'), { minLength: IPS.length, maxLength: IPS.length }),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
  )
  .map(([ips, owner, pool, age]) => {
    const byPolicy = new Map<number, { ip: string; pool: string }[]>();
    ips.forEach((ip, i) => {
      const o = owner[i] ?? 0;
      byPolicy.set(o, [...(byPolicy.get(o) ?? []), { ip, pool: pool[i] ?? 'p0' }]);
    });
    return [...byPolicy].map(([o, list]) => ({ key: `ns/pol${o}`, createdAt: age[o] ?? 0, ips: list }));
  });

const healthValue = fc.constantFrom<boolean | undefined>(true, true, true, false, undefined);

const worldArb: fc.Arbitrary<AssignInput> = fc
  .record({
    nodes: fc.uniqueArray(nodeArb, { selector: (n) => n.name, maxLength: NODE_NAMES.length }),
    pools: poolsArb,
    policies: policiesArb,
    health: fc.array(healthValue, { minLength: NODE_NAMES.length, maxLength: NODE_NAMES.length }),
    previous: fc.array(fc.tuple(fc.constantFrom(...IPS), fc.constantFrom(...NODE_NAMES, 'gone')), { maxLength: 10 }),
    releasing: fc.array(fc.tuple(fc.constantFrom(...IPS), fc.constantFrom(...NODE_NAMES)), { maxLength: 3 }),
  })
  .map(({ nodes, pools, policies, health, previous, releasing }) => ({
    nodes,
    pools,
    policies,
    health: healthMap(health),
    previous: new Map(previous),
    releasing: new Map(releasing),
    capacityAnnotation: ANN,
  }));

function healthMap(values: (boolean | undefined)[]): Map<string, boolean> {
  const m = new Map<string, boolean>();
  NODE_NAMES.forEach((n, i) => {
    const v = values[i];
    if (v !== undefined) m.set(n, v);
  });
  return m;
}

function isAlive(input: AssignInput, name: string): boolean {
  const n = input.nodes.find((x) => x.name === name && !x.deleted);
  return n !== undefined && n.ready && input.health.get(name) !== false;
}

/**
 * ip → its pool and its spread group: the policy and the IP's family (issue 11), whose IPs never share
 * a node — while an IPv4 and an IPv6 IP of one policy may, which checkComplete holds the pass to.
 */
function ipOwners(input: AssignInput): Map<string, { policy: string; pool: string }> {
  const m = new Map<string, { policy: string; pool: string }>();
  for (const p of input.policies) for (const { ip, pool } of p.ips) m.set(ip, { policy: `${p.key} IPv${ipFamilyOf(ip)}`, pool });
  return m;
}

function capOf(n: AssignNode): number {
  const v = Number(n.annotations[ANN]);
  return n.annotations[ANN] !== undefined && Number.isInteger(v) && v >= 0 ? v : Infinity;
}

// ---- checks shared by the one-shot and the multi-round properties ----

function checkOneHolder(input: AssignInput, out: AssignResult): void {
  for (const [ip, node] of out.assignments) {
    const prev = input.previous.get(ip);
    if (prev !== undefined && prev !== node) assert.ok(!isAlive(input, prev), `${ip} taken from live ${prev} to ${node}`);
    const rel = input.releasing?.get(ip);
    if (rel !== undefined && rel !== node) assert.ok(!isAlive(input, rel), `${ip} claimed while ${rel} still releases it`);
  }
  for (const u of out.unassigned.filter((x) => x.reason === 'Draining')) {
    assert.equal(out.releasing.get(u.ip), u.node);
  }
}

function checkOnePerPolicy(input: AssignInput, out: AssignResult): void {
  const owners = ipOwners(input);
  const seen = new Set<string>();
  for (const [ip, node] of out.assignments) {
    const k = `${owners.get(ip)?.policy}\0${node}`;
    assert.ok(!seen.has(k), `policy ${owners.get(ip)?.policy} twice on ${node}`);
    seen.add(k);
  }
}

function checkEligible(input: AssignInput, out: AssignResult): void {
  const owners = ipOwners(input);
  const load = new Map<string, number>();
  const poolLoad = new Map<string, number>();
  for (const [ip, name] of out.assignments) {
    const owner = owners.get(ip);
    assert.ok(owner, `${ip} assigned but wanted by no policy`);
    const n = input.nodes.find((x) => x.name === name && !x.deleted);
    const pool = input.pools.find((p) => p.name === owner.pool);
    assert.ok(n && pool, `${ip} on unknown node ${name}`);
    assert.ok(n.ready && !n.cordoned && input.health.get(name) !== false, `${ip} on ineligible ${name}`);
    assert.ok(matchesSelector(n.labels, pool.nodeSelector), `${ip} on ${name} outside pool ${pool.name}`);
    if (input.previous.get(ip) !== name) assert.equal(input.health.get(name), true, `new claim on unprobed ${name}`);
    load.set(name, (load.get(name) ?? 0) + 1);
    const pk = `${pool.name}\0${name}`;
    poolLoad.set(pk, (poolLoad.get(pk) ?? 0) + 1);
    assert.ok((poolLoad.get(pk) ?? 0) <= pool.maxIPsPerNode, `${name} over ${pool.name}.maxIPsPerNode`);
    assert.ok((load.get(name) ?? 0) <= capOf(n), `${name} over its annotation`);
  }
}

/** Every IP reported without a gateway really had no place: no healthy admitted node with room. */
function checkComplete(input: AssignInput, out: AssignResult): void {
  const owners = ipOwners(input);
  const wanted = new Set(owners.keys());
  for (const ip of wanted) {
    const assigned = out.assignments.has(ip);
    const un = out.unassigned.filter((u) => u.ip === ip);
    assert.equal(un.length + (assigned ? 1 : 0), input.pools.some((p) => p.name === owners.get(ip)?.pool) ? 1 : 0);
  }
  const count = (pred: (ip: string, n: string) => boolean) => [...out.assignments].filter(([ip, n]) => pred(ip, n)).length;
  for (const u of out.unassigned.filter((x) => x.reason === 'NoGatewayAvailable')) {
    const owner = owners.get(u.ip)!;
    const pool = input.pools.find((p) => p.name === owner.pool)!;
    for (const n of input.nodes) {
      const usable = !n.deleted && n.ready && !n.cordoned && input.health.get(n.name) === true && matchesSelector(n.labels, pool.nodeSelector);
      if (!usable) continue;
      const samePolicy = count((ip, x) => x === n.name && owners.get(ip)?.policy === owner.policy) > 0;
      const poolFull = count((ip, x) => x === n.name && owners.get(ip)?.pool === pool.name) >= pool.maxIPsPerNode;
      const full = count((_ip, x) => x === n.name) >= capOf(n);
      assert.ok(samePolicy || poolFull || full, `${u.ip} left without gateway although ${n.name} had room`);
    }
  }
}

function checkSticky(input: AssignInput, out: AssignResult): void {
  // The previous assignments that are individually still valid…
  const owners = ipOwners(input);
  const valid = [...input.previous].filter(([ip, name]) => {
    const owner = owners.get(ip);
    const n = input.nodes.find((x) => x.name === name && !x.deleted);
    const pool = input.pools.find((p) => p.name === owner?.pool);
    return owner && n && pool && n.ready && !n.cordoned && input.health.get(name) !== false && matchesSelector(n.labels, pool.nodeSelector);
  });
  // …and jointly within every limit must all stay where they are.
  const load = new Map<string, number>();
  const keys = new Set<string>();
  let jointlyValid = true;
  for (const [ip, name] of valid) {
    const owner = owners.get(ip)!;
    const pool = input.pools.find((p) => p.name === owner.pool)!;
    for (const [k, limit] of [[name, capOf(input.nodes.find((x) => x.name === name)!)], [`${pool.name}\0${name}`, pool.maxIPsPerNode]] as const) {
      load.set(k, (load.get(k) ?? 0) + 1);
      if ((load.get(k) ?? 0) > limit) jointlyValid = false;
    }
    const pk = `${owner.policy}\0${name}`;
    if (keys.has(pk)) jointlyValid = false;
    keys.add(pk);
  }
  if (jointlyValid) for (const [ip, name] of valid) assert.equal(out.assignments.get(ip), name, `${ip} moved off valid ${name}`);
  // Fewest moves: an assignment changes only when its previous holder was not valid.
  const validSet = new Set(valid.map(([ip]) => ip));
  for (const [ip, name] of out.assignments) {
    const prev = input.previous.get(ip);
    if (prev !== undefined && prev !== name) assert.ok(!validSet.has(ip) || !jointlyValid, `${ip} moved without need`);
  }
}

// ---- helpers for order-independence and rounds ----

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  let s = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function shuffled(input: AssignInput, seed: number): AssignInput {
  return {
    ...input,
    nodes: shuffle(input.nodes, seed),
    pools: shuffle(input.pools, seed + 1),
    policies: shuffle(input.policies, seed + 2).map((p, i) => ({ ...p, ips: shuffle(p.ips, seed + 3 + i) })),
    health: new Map(shuffle([...input.health], seed + 4)),
    previous: new Map(shuffle([...input.previous], seed + 5)),
    releasing: new Map(shuffle([...(input.releasing ?? [])], seed + 6)),
  };
}

type Event =
  | { kind: 'fail' | 'recover' | 'notReady' | 'ready' | 'cordon' | 'uncordon' | 'delete' | 'unprobed'; node: number }
  | { kind: 'join'; node: AssignNode }
  | { kind: 'quiet' };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('fail', 'recover', 'notReady', 'ready', 'cordon', 'uncordon', 'delete', 'unprobed'),
    node: fc.nat(),
  }) as fc.Arbitrary<Event>,
  fc.record({ kind: fc.constant('join' as const), node: nodeArb }),
  fc.constant({ kind: 'quiet' as const }),
);

interface Round {
  events: Event[];
  /** Which live agents get round to releasing what they no longer own before the next pass. */
  agentsRelease: boolean[];
}

const roundsArb = fc.array(
  fc.record({
    events: fc.array(eventArb, { maxLength: 3 }),
    agentsRelease: fc.array(fc.boolean(), { minLength: NODE_NAMES.length, maxLength: NODE_NAMES.length }),
  }),
  { minLength: 2, maxLength: 8 },
);

function applyEvent(input: AssignInput, ev: Event): AssignInput {
  if (ev.kind === 'quiet') return input;
  if (ev.kind === 'join') {
    if (input.nodes.some((n) => n.name === ev.node.name)) return input;
    const health = new Map(input.health).set(ev.node.name, true);
    return { ...input, nodes: [...input.nodes, { ...ev.node, ready: true, cordoned: false }], health };
  }
  const target = input.nodes[ev.node % Math.max(1, input.nodes.length)];
  if (!target) return input;
  const health = new Map(input.health);
  const edit = (f: (n: AssignNode) => AssignNode | undefined): AssignNode[] =>
    input.nodes.flatMap((n) => (n.name === target.name ? (f(n) ?? []) : [n]));
  switch (ev.kind) {
    case 'fail': health.set(target.name, false); return { ...input, health };
    case 'recover': health.set(target.name, true); return { ...input, health };
    case 'unprobed': health.delete(target.name); return { ...input, health };
    case 'notReady': return { ...input, nodes: edit((n) => ({ ...n, ready: false })) };
    case 'ready': return { ...input, nodes: edit((n) => ({ ...n, ready: true })) };
    case 'cordon': return { ...input, nodes: edit((n) => ({ ...n, cordoned: true })) };
    case 'uncordon': return { ...input, nodes: edit((n) => ({ ...n, cordoned: false })) };
    case 'delete': health.delete(target.name); return { ...input, nodes: edit(() => undefined), health };
  }
}

/**
 * Replays rounds against a model of the agents: `held` is what each node really has on its uplink.
 * A live agent adds what it is assigned and drops what it is not (only when `agentsRelease` says it
 * got round to it); a dead node fences itself. The manager confirms a release when it sees the agent
 * no longer holds the IP (the caller's job; here: read from the model).
 */
function runRounds(start: AssignInput, rounds: Round[], each: (input: AssignInput, out: AssignResult, before: AssignInput) => void): void {
  let input = start;
  const held = new Map<string, Set<string>>();
  for (const [ip, node] of start.previous) {
    if (isAlive(start, node)) held.set(node, (held.get(node) ?? new Set()).add(ip));
  }
  // Entries of the random start that no live agent holds are confirmed already.
  input = { ...input, releasing: new Map([...(input.releasing ?? [])].filter(([ip, n]) => held.get(n)?.has(ip))) };
  let before = input;
  for (const round of rounds) {
    const out = assignEgressIPs(input);
    each(input, out, before);
    // Physical invariant 1: when a node is told to claim an IP, no other live node still has it.
    for (const [ip, node] of out.assignments) {
      for (const [other, ips] of held) {
        if (other !== node && ips.has(ip)) assert.ok(!isAlive(input, other), `${ip} claimed by ${node} while live ${other} holds it`);
      }
    }
    for (const [node, ips] of held) {
      if (!isAlive(input, node)) { held.delete(node); continue; } // fenced
      const idx = NODE_NAMES.indexOf(node);
      if (round.agentsRelease[idx]) for (const ip of ips) if (out.assignments.get(ip) !== node) ips.delete(ip);
    }
    for (const [ip, node] of out.assignments) held.set(node, (held.get(node) ?? new Set()).add(ip));
    const releasing = new Map([...out.releasing].filter(([ip, n]) => held.get(n)?.has(ip)));
    before = { ...input, previous: out.assignments, releasing };
    input = round.events.reduce(applyEvent, before);
  }
}

describe('assignEgressIPs properties (DESIGN §4)', () => {
  it('1. an IP is held by at most one live node, also while nodes fail, join and drain', () => {
    fc.assert(fc.property(worldArb, roundsArb, (world, rounds) => runRounds(world, rounds, checkOneHolder)), { numRuns: RUNS });
  });

  it('2. no node holds two IPs of the same policy and family (an IPv4 and an IPv6 one may share)', () => {
    fc.assert(fc.property(worldArb, roundsArb, (world, rounds) => runRounds(world, rounds, checkOnePerPolicy)), { numRuns: RUNS });
  });

  it('3. only healthy, schedulable, pool-admitted nodes within capacity; unplaced IPs had no room', () => {
    fc.assert(
      fc.property(worldArb, roundsArb, (world, rounds) =>
        runRounds(world, rounds, (input, out) => { checkEligible(input, out); checkComplete(input, out); })),
      { numRuns: RUNS },
    );
  });

  it('4a. deterministic: the same world in any order gives the same result', () => {
    fc.assert(
      fc.property(worldArb, fc.integer(), (world, seed) => {
        assert.deepEqual(assignEgressIPs(shuffled(world, seed)), assignEgressIPs(world));
      }),
      { numRuns: RUNS },
    );
  });

  it('4b. balanced: fresh placement on equal nodes differs by at most one IP per node', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        (nodeCount, sizes, seed) => {
          const nodes = NODE_NAMES.slice(0, nodeCount).map((name) => ({ name, labels: {}, annotations: {}, ready: true, cordoned: false }));
          let next = 0;
          const policies = sizes.map((size, i) => ({
            key: `ns/p${i}`,
            createdAt: i,
            ips: Array.from({ length: Math.min(size, nodeCount) }, () => ({ ip: `10.0.${next >> 8}.${next++ & 255}`, pool: 'p' })),
          }));
          const input: AssignInput = {
            nodes: shuffle(nodes, seed),
            pools: [{ name: 'p', maxIPsPerNode: 1000 }],
            policies: shuffle(policies, seed + 1),
            health: new Map(nodes.map((n) => [n.name, true])),
            previous: new Map(),
            capacityAnnotation: ANN,
          };
          const out = assignEgressIPs(input);
          assert.equal(out.unassigned.length, 0);
          const loads = nodes.map((n) => [...out.assignments.values()].filter((x) => x === n.name).length);
          assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('5. sticky: valid assignments never move, only invalid ones change; a second pass changes nothing', () => {
    fc.assert(
      fc.property(worldArb, roundsArb, (world, rounds) =>
        runRounds(world, rounds, (input, out) => {
          checkSticky(input, out);
          const again = assignEgressIPs({ ...input, previous: out.assignments, releasing: out.releasing });
          assert.deepEqual(again.assignments, out.assignments);
        })),
      { numRuns: RUNS },
    );
  });

  it('5b. a node joining or recovering moves nothing', () => {
    fc.assert(
      fc.property(worldArb, nodeArb, (world, joiner) => {
        const first = assignEgressIPs(world);
        const settled: AssignInput = { ...world, previous: first.assignments, releasing: first.releasing };
        const joined = applyEvent(settled, { kind: 'join', node: joiner });
        const out = assignEgressIPs(joined);
        for (const [ip, node] of first.assignments) assert.equal(out.assignments.get(ip), node);
      }),
      { numRuns: RUNS },
    );
  });
});
