// Restore texts: one `ipset restore` and one `iptables-restore --noflush` per apply. Pure.
import type { ParsedIptables } from './parse.js';
import { emptyParsedIptables, ownedChain } from './parse.js';
import { chainNames } from './names.js';
import type { IpsetSpec, IptablesChains, JumpSpec } from './types.js';
import { IPTABLES_TABLES } from './types.js';

const SET_OPTIONS = 'family inet hashsize 1024 maxelem 1048576';

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}

export function ipsetDiffers(want: IpsetSpec, have: IpsetSpec | undefined): boolean {
  return !have || have.type !== want.type || !sameMembers(want.members, have.members);
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
      lines.push(`create ${set.name} ${set.type} ${SET_OPTIONS}`, ...set.members.map((m) => `add ${set.name} ${m}`));
      continue;
    }
    if (have.type !== set.type) lines.push(`destroy ${set.name}`);
    lines.push(`create ${tmp} ${set.type} ${SET_OPTIONS}`);
    for (const m of set.members) lines.push(`add ${tmp} ${m}`);
    if (have.type !== set.type) lines.push(`create ${set.name} ${set.type} ${SET_OPTIONS}`);
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

function sameRules(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Does the built-in chain start with exactly our jumps, each present once? */
function jumpsInPlace(builtin: readonly string[], chain: string, jumps: readonly JumpSpec[]): boolean {
  const want = jumps.map((j) => `-A ${chain} -j ${j.target}`);
  if (!want.every((w, i) => builtin[i] === w)) return false;
  return builtin.slice(want.length).every((r) => !want.includes(r));
}

export interface IptablesPlan {
  text: string; // '' when nothing to do
  changedChains: number;
  staleChains: number;
  jumpFixes: number;
}

/**
 * One `iptables-restore --noflush` transaction touching only our chains: declare (= flush) and
 * refill every chain that differs, delete stale chains, and put our jumps first in the built-in
 * chains (deleting every other copy) when anything sits in front of them.
 */
export function renderIptablesRestore(
  desired: IptablesChains,
  jumps: readonly JumpSpec[],
  current: ParsedIptables,
  chainPrefix: string,
): IptablesPlan {
  const out: string[] = [];
  let changedChains = 0, staleChains = 0, jumpFixes = 0;
  for (const table of IPTABLES_TABLES) {
    const want = desired[table];
    const have = current[table];
    const changed = [...want.keys()].filter((c) => !sameRules(want.get(c), have.chains.get(c))).sort();
    const stale = [...have.chains.keys()].filter((c) => !want.has(c)).sort();
    const tableJumps = jumps.filter((j) => j.table === table);
    const builtinsNames = [...new Set(tableJumps.map((j) => j.chain))].sort();
    const deletes: string[] = [];
    const inserts: string[] = [];
    for (const chain of builtinsNames) {
      const js = tableJumps.filter((j) => j.chain === chain).sort((a, b) => a.position - b.position);
      const rules = have.builtins.get(chain) ?? [];
      const targets = new Set(js.map((j) => j.target));
      // Jumps into stale chains of ours must go before those chains can be deleted.
      const staleJumps = rules.filter((r) => {
        const t = / -j (\S+)$/.exec(r)?.[1];
        return t !== undefined && ownedChain(t, chainPrefix) && !targets.has(t) && r === `-A ${chain} -j ${t}`;
      });
      for (const r of staleJumps) deletes.push(`-D${r.slice(2)}`);
      if (jumpsInPlace(rules, chain, js)) continue;
      jumpFixes++;
      for (const r of rules) if (js.some((j) => r === `-A ${chain} -j ${j.target}`)) deletes.push(`-D${r.slice(2)}`);
      for (const j of [...js].reverse()) inserts.push(`-I ${chain} 1 -j ${j.target}`);
    }
    // builtin jumps to stale chains outside the jump-managed built-ins
    for (const [chain, rules] of have.builtins) {
      if (builtinsNames.includes(chain)) continue;
      for (const r of rules) {
        const t = / -j (\S+)$/.exec(r)?.[1];
        if (t !== undefined && ownedChain(t, chainPrefix)) deletes.push(`-D${r.slice(2)}`);
      }
    }
    if (!changed.length && !stale.length && !deletes.length && !inserts.length) continue;
    changedChains += changed.length;
    staleChains += stale.length;
    out.push(`*${table}`);
    for (const c of [...changed, ...stale].sort()) out.push(`:${c} - [0:0]`);
    out.push(...deletes);
    for (const c of changed) out.push(...want.get(c)!);
    out.push(...inserts);
    for (const c of stale) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', changedChains, staleChains, jumpFixes };
}

/** What the kernel holds after applying `chains` and `jumps` (our jumps first in their built-ins). */
export function parsedOf(chains: IptablesChains, jumps: readonly JumpSpec[]): ParsedIptables {
  const out = emptyParsedIptables();
  for (const t of IPTABLES_TABLES) {
    out[t].chains = new Map([...chains[t]].map(([c, r]) => [c, [...r]]));
    for (const j of [...jumps].filter((x) => x.table === t).sort((a, b) => a.position - b.position)) {
      const list = out[t].builtins.get(j.chain) ?? [];
      list.push(`-A ${j.chain} -j ${j.target}`);
      out[t].builtins.set(j.chain, list);
    }
  }
  return out;
}

/**
 * iptables-restore commits each table on its own (one transaction per `COMMIT`, iptables-nft and
 * legacy alike), in the order mangle, nat, filter. When this node stops SNATing an egress IP, the
 * nat table would drop the SNAT before the filter table swaps the IP's accept rules for the leak
 * guard: for a moment its pods' new flows would be accepted and masqueraded with the node IP. So
 * the SNAT of a released IP is kept through a first restore (which installs everything else: new
 * SNATs before the filter table accepts their flows, the guard before the old SNAT goes) and
 * removed by a second one. Returns the chains of that first restore, or null when no SNAT goes.
 */
export function natHandover(want: IptablesChains, have: ParsedIptables, chainPrefix: string): IptablesChains | null {
  const n = chainNames({ chainPrefix });
  const entry = `${chainPrefix}-S-`;
  const stale = [...have.nat.chains.keys()].filter((c) => c.startsWith(entry) && !want.nat.has(c)).sort();
  if (!stale.length) return null;
  const nat = new Map(want.nat);
  const staleJumps = (have.nat.chains.get(n.snat) ?? []).filter((r) => stale.some((c) => r.endsWith(` -j ${c}`)));
  nat.set(n.snat, [...(want.nat.get(n.snat) ?? []), ...staleJumps]);
  for (const c of stale) nat.set(c, [...have.nat.chains.get(c)!]);
  return { ...want, nat };
}

/** Removes every jump into our chains and every chain of ours (--cleanup). */
export function renderIptablesCleanup(current: ParsedIptables, chainPrefix: string): string {
  const out: string[] = [];
  for (const table of IPTABLES_TABLES) {
    const have = current[table];
    const deletes: string[] = [];
    for (const rules of have.builtins.values()) {
      for (const r of rules) {
        const t = / -j (\S+)$/.exec(r)?.[1] ?? / -g (\S+)$/.exec(r)?.[1];
        if (t !== undefined && ownedChain(t, chainPrefix)) deletes.push(`-D${r.slice(2)}`);
      }
    }
    const chains = [...have.chains.keys()].sort();
    if (!chains.length && !deletes.length) continue;
    out.push(`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...deletes, ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
