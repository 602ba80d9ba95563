// Applies the egress guard (render/guard.ts) with `nft`: one batch per apply, one netlink
// transaction, so the table is never half-written. One class for both families: the IPv4 state's
// table is `ip <name>`, the IPv6 state's `ip6 <name>`.
import { parseGuardListing } from '../render/guard.js';
import type { GuardTable } from './interfaces.js';
import { localExec, type Exec } from './linux-ip6.js';

export class LinuxGuardTable implements GuardTable {
  constructor(private readonly table: string, private readonly family: 'ip' | 'ip6' = 'ip', private readonly run: Exec = localExec) {}

  async read(): Promise<{ hash: string; rules: number } | null> {
    const r = await this.run('nft', ['-j', 'list', 'table', this.family, this.table]);
    if (r.ok) return parseGuardListing(r.out);
    if (/No such file or directory/.test(r.err)) return null;
    throw new Error(`nft list table ${this.family} ${this.table}: ${r.err}`);
  }

  async apply(text: string): Promise<void> {
    const r = await this.run('nft', ['-f', '-'], text);
    if (!r.ok) throw new Error(`guard apply (${this.family}): ${r.err}`);
  }

  /** The first add makes the delete safe when the table is absent. */
  remove(): Promise<void> {
    const t = `${this.family} ${this.table}`;
    return this.apply(`add table ${t}\ndelete table ${t}\n`);
  }
}
