// Applies the egress guard (render/guard.ts) with `nft`: one batch per apply, one netlink
// transaction, so the table is never half-written.
import { execa } from 'execa';
import { parseGuardListing } from '../render/guard.js';
import type { GuardTable } from './interfaces.js';

export class LinuxGuardTable implements GuardTable {
  constructor(private readonly table: string) {}

  async read(): Promise<{ hash: string; rules: number } | null> {
    const r = await execa('nft', ['-j', 'list', 'table', 'ip', this.table], { reject: false });
    if (r.exitCode === 0) return parseGuardListing(String(r.stdout));
    if (/No such file or directory/.test(String(r.stderr))) return null;
    throw new Error(`nft list table ${this.table}: ${String(r.stderr).trim()}`);
  }

  async apply(text: string): Promise<void> {
    const r = await execa('nft', ['-f', '-'], { input: text, reject: false });
    if (r.exitCode !== 0) throw new Error(`guard apply: ${String(r.stderr).trim()}`);
  }

  async remove(): Promise<void> {
    await this.apply(`add table ip ${this.table}\ndelete table ip ${this.table}\n`);
  }
}
