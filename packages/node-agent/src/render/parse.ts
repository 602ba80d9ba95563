// Parsers of `iptables-save` and `ipset save` output, restricted to what we own. Pure.
import type { IpsetSpec, IptablesTable } from './types.js';
import { IPTABLES_TABLES } from './types.js';

export interface ParsedTable {
  /** our chains (name starts with the prefix) → rule lines, counters stripped */
  chains: Map<string, string[]>;
  /** built-in chains → rule lines */
  builtins: Map<string, string[]>;
}
export type ParsedIptables = Record<IptablesTable, ParsedTable>;

export function emptyParsedIptables(): ParsedIptables {
  return {
    mangle: { chains: new Map(), builtins: new Map() },
    nat: { chains: new Map(), builtins: new Map() },
    filter: { chains: new Map(), builtins: new Map() },
  };
}

const BUILTINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export function ownedChain(name: string, chainPrefix: string): boolean {
  return name.startsWith(`${chainPrefix}-`);
}

/** Counters (`[p:b] ` prefixes from `-c`) are stripped; use parseIptablesCounters for them. */
export function parseIptablesSave(text: string, chainPrefix: string): ParsedIptables {
  const out = emptyParsedIptables();
  let table: ParsedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[\d+:\d+\] /, '').trimEnd();
    if (line.startsWith('*')) {
      const t = line.slice(1) as IptablesTable;
      table = IPTABLES_TABLES.includes(t) ? out[t] : undefined;
    } else if (!table) continue;
    else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      if (ownedChain(name, chainPrefix)) table.chains.set(name, []);
      else if (BUILTINS.has(name)) table.builtins.set(name, []);
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1]!;
      (table.chains.get(name) ?? table.builtins.get(name))?.push(line);
    }
  }
  return out;
}

export interface RuleCounter {
  table: IptablesTable;
  chain: string;
  rule: string;
  packets: number;
  bytes: number;
}

/** Rule counters of our chains from `iptables-save -c`. */
export function parseIptablesCounters(text: string, chainPrefix: string): RuleCounter[] {
  const out: RuleCounter[] = [];
  let table: IptablesTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const t = line.slice(1).trim() as IptablesTable;
      table = IPTABLES_TABLES.includes(t) ? t : undefined;
      continue;
    }
    const m = /^\[(\d+):(\d+)\] (-A (\S+) .*)$/.exec(line.trimEnd());
    if (!table || !m || !ownedChain(m[4]!, chainPrefix)) continue;
    out.push({ table, chain: m[4]!, rule: m[3]!, packets: Number(m[1]), bytes: Number(m[2]) });
  }
  return out;
}

/** Our sets from `ipset save` (temporary sets included, so leftovers of a crash get destroyed). */
export function parseIpsetSave(text: string, ipsetPrefix: string): Map<string, IpsetSpec> {
  const sets = new Map<string, IpsetSpec>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const name = parts[1];
    if (!name || !name.startsWith(`${ipsetPrefix}-`)) continue;
    if (parts[0] === 'create') {
      const inet6 = parts[parts.indexOf('family') + 1] === 'inet6' && parts.includes('family');
      sets.set(name, { name, type: parts[2] as IpsetSpec['type'], ...(inet6 ? { family: 'inet6' as const } : {}), members: [] });
    }
    else if (parts[0] === 'add' && parts[2]) sets.get(name)?.members.push(parts[2]);
  }
  for (const s of sets.values()) s.members.sort();
  return sets;
}
