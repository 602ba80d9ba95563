// The safety order of a plan as checkable rules, one per reason plan.ts gives for its order. Used by
// plan.test.ts and plan.prop.test.ts on the operations themselves, not only on the end state. Pure.
import type { RenderConfig, RenderedState } from '../render/types.js';
import { routeSlot } from './netlink.js';
import type { KernelView, Operation, OperationKind } from './types.js';

type Pick = (o: Operation) => boolean;
const is = (...kinds: OperationKind[]): Pick => (o) => kinds.includes(o.op);
const lines = (o: Operation) => (o.op === 'iptables-restore' || o.op === 'ipset-restore' ? o.text.split('\n') : []);
const matchSets = (o: Operation) => lines(o).filter((l) => /^-[AI] /.test(l)).flatMap((l) => [...l.matchAll(/--match-set (\S+) /g)].map((m) => m[1]!));

function lastIndex<T>(xs: readonly T[], pick: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pick(xs[i]!)) return i;
  return -1;
}

type Members = Map<string, Set<string>>;

/** Set contents after one ipset operation (restores as ipset applies them, line by line). */
function applySets(sets: Members, o: Operation): Members {
  const out: Members = new Map([...sets].map(([n, m]) => [n, new Set(m)]));
  if (o.op === 'ipset-members') {
    for (const c of o.changes) for (const m of c.add) out.get(c.set)?.add(m);
    for (const c of o.changes) for (const m of c.del) out.get(c.set)?.delete(m);
  }
  if (o.op === 'ipset-destroy') for (const n of o.names) out.delete(n);
  for (const l of o.op === 'ipset-restore' ? lines(o) : []) {
    const [cmd, a, b] = l.split(' ');
    if (cmd === 'create' && !out.has(a!)) out.set(a!, new Set());
    if (cmd === 'add') out.get(a!)?.add(b!);
    if (cmd === 'del') out.get(a!)?.delete(b!);
    if (cmd === 'destroy') out.delete(a!);
    const [x, y] = [out.get(a!), out.get(b!)];
    if (cmd === 'swap' && x && y) out.set(a!, y).set(b!, x);
  }
  return out;
}

/** Per set operation: whether it creates a set or adds a member, and the members it takes from a set that stays. */
function memberMoves(ops: readonly Operation[], current: KernelView): Map<Operation, { grows: boolean; lost: string[] }> {
  const out = new Map<Operation, { grows: boolean; lost: string[] }>();
  let sets: Members = new Map([...current.ipsets].map(([n, s]) => [n, new Set(s.members)]));
  for (const o of ops.filter(is('ipset-restore', 'ipset-members', 'ipset-destroy'))) {
    const next = applySets(sets, o);
    let grows = false;
    const lost: string[] = [];
    for (const [n, m] of next) {
      const had = sets.get(n);
      if (!had || [...m].some((x) => !had.has(x))) grows = true;
      for (const x of had ?? []) if (!m.has(x)) lost.push(`${x} from ${n}`);
    }
    out.set(o, { grows, lost });
    sets = next;
  }
  return out;
}

/** Why each pair must run in this order; an empty list when the plan keeps every rule. */
/** `keepFlows`: the plan's LeasePlan.keepFlows (a resumed tenure forgets nothing). */
export function planViolations(ops: readonly Operation[], current: KernelView, desired: RenderedState, render: RenderConfig, keepFlows?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const moves = memberMoves(ops, current);
  const grows: Pick = (o) => !!moves.get(o)?.grows;
  const shrinks: Pick = (o) => !!moves.get(o)?.lost.length;
  const adding: Pick = (o) => is('vxlan-add', 'route-replace', 'rule-add', 'address-add', 'garp')(o) || grows(o);
  const removing: Pick = (o) => is('rule-del', 'route-del', 'ipset-destroy', 'vxlan-remove')(o) || shrinks(o);
  const before = (a: Pick, b: Pick, why: string) => {
    const lastA = lastIndex(ops, a);
    const firstB = ops.findIndex(b);
    if (lastA >= 0 && firstB >= 0 && lastA > firstB) out.push(`${why}: ${ops[lastA]!.op} #${lastA + 1} after ${ops[firstB]!.op} #${firstB + 1}`);
  };
  before(is('vxlan-add'), (o) => o.op === 'route-replace' && o.routes.some((r) => r.dev === render.vxlanDevice), 'the tunnel before the routes into it');
  before(is('address-del'), is('iptables-restore', 'route-replace'), 'a released address before its SNAT goes and before a route via it');
  before((o) => is('route-replace', 'rule-add')(o) || grows(o), is('iptables-restore'), 'sets and members, routes and rules before the iptables rules that use them');
  before(is('iptables-restore'), is('address-add'), 'SNAT before the address');
  // the egress guard checks marked packets against our routes: in place after them, before any mark
  before(is('route-replace', 'rule-add'), is('guard-apply'), 'routes and rules before the egress guard that checks them');
  before(is('guard-apply'), is('iptables-restore'), 'the egress guard before the iptables rules it guards');
  before(adding, removing, 'add before remove');
  before(is('rule-del'), is('route-del'), 'a rule before the route it points at');
  before(is('iptables-restore'), is('ipset-destroy'), 'a set once no iptables rule uses it');
  before(is('route-replace', 'route-del'), is('vxlan-remove'), 'the tunnel once no route points into it');
  out.push(...walk(ops, current, desired, keepFlows), ...handover(ops, current, desired, render.chainPrefix));
  out.push(...leaving(ops, moves));
  return out;
}

/**
 * A member leaves a set that stays only after every iptables restore: the restores are what cover
 * its pod elsewhere (another egress IP's SNAT and accept rules, the leak guard), one table commit at
 * a time. Sets that go entirely are the ipset-destroy rule's business.
 */
function leaving(ops: readonly Operation[], moves: ReturnType<typeof memberMoves>): string[] {
  const last = lastIndex(ops, is('iptables-restore'));
  return ops.flatMap((o, i) => (i < last ? (moves.get(o)?.lost ?? []).map((m) => `${o.op} #${i + 1}: ${m} before iptables-restore #${last + 1} (a member leaves a set only after every restore)`) : []));
}

/** What `walk` tracks, as it is before the first operation. */
function startOfWalk(current: KernelView, desired: RenderedState) {
  return {
    sets: new Set(current.ipsets.keys()),
    tables: new Set(current.routes.filter((r) => !r.dst).map((r) => r.table)),
    marks: new Set(current.rules.map((r) => r.fwmark)),
    /** egress IPs with a SNAT rule, before or after */
    snat: new Set([...current.iptables.nat.chains.values(), ...desired.iptables.nat.values()].flat()
      .map((l) => / --to-source (\S+)$/.exec(l)?.[1]).filter((x) => x !== undefined)),
    /** sets the desired rules use */
    wantedSets: new Set([...Object.values(desired.iptables)].flatMap((t) => [...t.values()].flat())
      .flatMap((l) => [...l.matchAll(/--match-set (\S+) /g)].map((m) => m[1]!))),
    present: new Set(current.addresses.map((a) => a.ip)),
    leaseMode: current.lease !== undefined,
    leased: new Set(current.lease?.leased ?? []),
  };
}

/** Rules that follow what exists at each step: sets, route tables, fwmark rules, added addresses. */
function walk(ops: readonly Operation[], current: KernelView, desired: RenderedState, keepFlows?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const { sets, tables, marks, snat, wantedSets, present, leaseMode, leased } = startOfWalk(current, desired);
  let added = new Set<string>();
  ops.forEach((o, i) => {
    const at = `${o.op} #${i + 1}`;
    if (o.op === 'lease-setup' && i !== 0) out.push(`${at}: the lease guard after other operations`);
    if (o.op === 'lease-claim') {
      for (const ip of o.ips) {
        const held = present.has(ip) && !ops.some((x, j) => j < i && x.op === 'address-del' && x.ips.includes(ip));
        if (held && ops.some((x) => x.op === 'conntrack-forget' && x.ips.includes(ip))) {
          out.push(`${at}: forgets the current flows of ${ip}, which never left this node`);
        }
        if (!held && !keepFlows?.has(ip) && !ops.some((x, j) => j > i && x.op === 'conntrack-forget' && x.ips.includes(ip))) {
          out.push(`${at}: new tenure of ${ip} never forgets the flows of an earlier one`);
        }
        leased.add(ip);
      }
    }
    if (o.op === 'lease-end') for (const ip of o.ips) leased.delete(ip);
    if (o.op === 'address-del' && leaseMode) for (const ip of o.ips) if (leased.has(ip)) out.push(`${at}: ${ip} released while its lease runs`);
    for (const l of lines(o)) {
      const [cmd, name] = l.split(' ');
      if (o.op === 'ipset-restore' && cmd === 'create') sets.add(name!);
      if (o.op === 'ipset-restore' && cmd === 'destroy') sets.delete(name!);
    }
    for (const s of matchSets(o)) if (!sets.has(s)) out.push(`${at}: set ${s} used before it exists`);
    for (const l of o.op === 'iptables-restore' ? lines(o) : []) {
      const m = /--set-xmark (0x[0-9a-f]+)\//.exec(l);
      // 0x0 is a gateway entry held here claiming its local pods (render/state.ts): no rule routes it.
      if (m && Number(m[1]) !== 0 && !marks.has(Number(m[1]))) out.push(`${at}: mark ${m[1]} set before its rule exists (fail open)`);
    }
    if (o.op === 'route-replace') for (const r of o.routes) if (!r.dst) tables.add(r.table);
    if (o.op === 'rule-add') {
      for (const r of o.rules) {
        if (!tables.has(r.table)) out.push(`${at}: rule to table ${r.table} before its route (fail open)`);
        marks.add(r.fwmark);
      }
    }
    if (o.op === 'address-add') {
      added = new Set(o.ips);
      for (const ip of o.ips) if (!snat.has(ip)) out.push(`${at}: address ${ip} without its SNAT`);
    }
    if (o.op === 'garp') {
      for (const ip of o.ips) {
        if (!added.has(ip) && !(o.always && present.has(ip))) out.push(`${at}: GARP for ${ip} before its address`);
        // arping sends from a packet socket, past the guard: only a leased IP may be announced
        if (leaseMode && !leased.has(ip)) out.push(`${at}: GARP for ${ip} without a lease`);
      }
    }
    if (o.op === 'ipset-destroy') for (const s of o.names) if (wantedSets.has(s)) out.push(`${at}: destroys ${s}, still used`);
    if (o.op === 'route-del') {
      const wanted = new Set(desired.routes.map(routeSlot));
      for (const r of o.routes) if (wanted.has(routeSlot(r))) out.push(`${at}: empties table ${r.table} instead of replacing its route (fail open)`);
    }
  });
  return out;
}

/**
 * natHandover: iptables-restore commits mangle, nat, filter one after the other, so the SNAT chain
 * of a released IP goes in a restore of its own, after every restore that changes the filter table
 * (where the leak guard replaces the IP's accept rules).
 */
function handover(ops: readonly Operation[], current: KernelView, desired: RenderedState, chainPrefix: string): string[] {
  const out: string[] = [];
  const entry = `${chainPrefix}-S-`; // chainNames().snatEntry
  const released = [...current.iptables.nat.chains.keys()].filter((c) => c.startsWith(entry) && !desired.iptables.nat.has(c));
  const restores = ops.map((o, i) => ({ o, i })).filter(({ o }) => o.op === 'iptables-restore');
  const lastFilter = lastIndex(ops, (o) => o.op === 'iptables-restore' && lines(o).includes('*filter'));
  for (const c of released) {
    const del = restores.find(({ o }) => lines(o).includes(`-X ${c}`));
    if (!del) { out.push(`the released SNAT chain ${c} is never deleted`); continue; }
    if (lines(del.o).includes('*filter') || del.i < lastFilter) out.push(`${c} goes at #${del.i + 1}, before the filter table guards its pods`);
    if (del.o.op === 'iptables-restore' && del.o.handover) out.push(`${c} goes in the handover restore #${del.i + 1}`);
  }
  return out;
}
