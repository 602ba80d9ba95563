// ipset diffs: which sets change in place, which are filled aside and swapped in, which go. Pure.
import type { MemberChange } from '../kernel/interfaces.js';
import type { IpsetSpec } from '../render/types.js';

const options = (set: IpsetSpec) => `family ${set.family ?? 'inet'} hashsize 1024 maxelem 1048576`;

/** Up to this many member changes per set go in place; more are a whole new set swapped in. */
export const IN_PLACE_LIMIT = 32;

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}

export function ipsetDiffers(want: IpsetSpec, have: IpsetSpec | undefined): boolean {
  return !have || have.type !== want.type || have.family !== want.family || !sameMembers(want.members, have.members);
}

/**
 * Creates or replaces each set that differs. A new set is created filled (nothing references it
 * yet); an existing one is replaced by filling a temporary set, swapping it in and destroying it,
 * never flushed or emptied in place, so no packet sees a half-filled set.
 */
export function renderIpsetRestore(
  desired: readonly IpsetSpec[],
  current: ReadonlyMap<string, IpsetSpec>,
  tempName: (name: string) => string,
): string {
  const lines: string[] = [];
  for (const set of desired) {
    const have = current.get(set.name);
    if (!ipsetDiffers(set, have)) continue;
    const tmp = tempName(set.name);
    if (current.has(tmp)) lines.push(`destroy ${tmp}`);
    if (!have) {
      lines.push(`create ${set.name} ${set.type} ${options(set)}`, ...set.members.map((m) => `add ${set.name} ${m}`));
      continue;
    }
    if (have.type !== set.type) lines.push(`destroy ${set.name}`);
    lines.push(`create ${tmp} ${set.type} ${options(set)}`);
    for (const m of set.members) lines.push(`add ${tmp} ${m}`);
    if (have.type !== set.type) lines.push(`create ${set.name} ${set.type} ${options(set)}`);
    lines.push(`swap ${tmp} ${set.name}`, `destroy ${tmp}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Sets of ours that are no longer wanted; destroyed after iptables stopped referencing them. */
export function staleIpsets(desired: readonly IpsetSpec[], current: ReadonlyMap<string, IpsetSpec>): string[] {
  const want = new Set(desired.map((s) => s.name));
  return [...current.keys()].filter((n) => !want.has(n)).sort();
}

export function renderIpsetDestroy(names: readonly string[]): string {
  return names.map((n) => `destroy ${n}\n`).join('');
}

/** One phase of set changes: an `ipset restore` ('' when none) and in-place member changes. */
export interface IpsetSteps {
  restore: string;
  /** each add/del atomic */
  inPlace: MemberChange[];
}

export interface IpsetPlan {
  /** sets that differ (created, swapped or changed in place) */
  differing: number;
  /**
   * Before the iptables restores: new sets, and the members that join a set, so that a pod moving
   * from one set to another is in both for a moment, never in neither. A swapped set that also
   * loses members is swapped for its union with the old content here.
   */
  grow: IpsetSteps;
  /** After every iptables restore: the members that leave a set (swapped for the exact set, or deleted in place). */
  shrink: IpsetSteps;
  /** stale sets (leftover temporary sets of swapped ones excluded: the restores destroy them) */
  stale: string[];
}

/** The members of `have` first, then those of `want` it lacks. */
function union(have: IpsetSpec, want: IpsetSpec): IpsetSpec {
  const hs = new Set(have.members);
  return { ...want, members: [...have.members, ...want.members.filter((m) => !hs.has(m))] };
}

/** `inPlace`: whether the kernel offers in-place member changes (Kernel.ipsetMembers). */
export function planIpsets(
  desired: readonly IpsetSpec[],
  current: ReadonlyMap<string, IpsetSpec>,
  tempName: (name: string) => string,
  inPlace: boolean,
): IpsetPlan {
  const differing = desired.filter((s) => ipsetDiffers(s, current.get(s.name)));
  const changes = new Map<string, MemberChange>();
  for (const s of inPlace ? differing : []) {
    const h = current.get(s.name);
    if (!h || h.type !== s.type) continue;
    const hs = new Set(h.members), ws = new Set(s.members);
    const change = { set: s.name, add: s.members.filter((m) => !hs.has(m)), del: h.members.filter((m) => !ws.has(m)) };
    if (change.add.length + change.del.length <= IN_PLACE_LIMIT) changes.set(s.name, change);
  }
  const swapped = differing.filter((s) => !changes.has(s.name));
  // a new set, or one of another type (recreated: only hand damage leads there), is written whole at once
  const grown = swapped.map((s) => { const h = current.get(s.name); return h && h.type === s.type ? union(h, s) : s; });
  const afterGrow = new Map(current);
  for (const s of grown) {
    if (ipsetDiffers(s, current.get(s.name))) afterGrow.delete(tempName(s.name)); // the grow restore destroys a leftover
    afterGrow.set(s.name, s);
  }
  const rewritten = new Set(swapped.map((s) => tempName(s.name))); // their leftover temp sets are destroyed on the way
  const inPlaceOf = (pick: 'add' | 'del') => [...changes.values()].filter((c) => c[pick].length)
    .map((c) => ({ set: c.set, add: pick === 'add' ? c.add : [], del: pick === 'del' ? c.del : [] }));
  return {
    differing: differing.length,
    grow: { restore: renderIpsetRestore(grown, current, tempName), inPlace: inPlaceOf('add') },
    shrink: { restore: renderIpsetRestore(swapped, afterGrow, tempName), inPlace: inPlaceOf('del') },
    stale: staleIpsets(desired, current).filter((n) => !rewritten.has(n)),
  };
}
