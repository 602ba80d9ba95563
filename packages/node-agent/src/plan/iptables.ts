// iptables diffs: `iptables-restore --noflush` transactions from the desired chains and what the
// kernel holds, touching only our chains and our jumps. Pure.
import { chainNames } from '../render/names.js';
import type { ParsedIptables } from '../render/parse.js';
import { emptyParsedIptables, ownedChain } from '../render/parse.js';
import type { IptablesChains, JumpSpec } from '../render/types.js';
import { IPTABLES_TABLES } from '../render/types.js';

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

export interface IptablesSteps {
  /** the restores in order: one, or two when an SNAT goes (natHandover); empty ones left out */
  restores: { text: string; handover: boolean }[];
  /** chains refilled or deleted plus built-in chains whose jumps were fixed, for the final state */
  changed: number;
}

export function planIptables(desired: IptablesChains, jumps: readonly JumpSpec[], current: ParsedIptables, chainPrefix: string): IptablesSteps {
  const final = renderIptablesRestore(desired, jumps, current, chainPrefix);
  const changed = final.changedChains + final.staleChains + final.jumpFixes;
  const interim = natHandover(desired, current, chainPrefix);
  const restores = interim
    ? [
        { text: renderIptablesRestore(interim, jumps, current, chainPrefix).text, handover: true },
        { text: renderIptablesRestore(desired, jumps, parsedOf(interim, jumps), chainPrefix).text, handover: false },
      ]
    : [{ text: final.text, handover: false }];
  return { restores: restores.filter((r) => r.text), changed };
}
