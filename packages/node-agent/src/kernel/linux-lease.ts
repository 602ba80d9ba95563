// Applies the kernel lease (render/lease.ts) with `nft -f -`, one batch per call: each batch is one
// netlink transaction, applied whole or not at all. With a session (a long-lived `nft -i`), the
// element batches — renewals, claims, ends: the ones on a probe's or a failover's path — go over it.
import { execa } from 'execa';
import {
  parseLeaseTables, renderLeaseClaim, renderLeaseEnd, renderLeaseRemove, renderLeaseRenew, renderLeaseSetup, type LeaseNames, type LeaseTablesView,
} from '../render/lease.js';
import type { LeaseTable } from './interfaces.js';
import type { NftSession } from './nft-session.js';

/** Runs `nft` with args and stdin; the default runs it in this process's network namespace. */
export type NftRunner = (args: string[], input?: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

const localNft: NftRunner = async (args, input) => {
  const r = await execa('nft', args, { input, reject: false });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
};

export class LinuxLeaseTable implements LeaseTable {
  /**
   * IPs claimed and not ended: renewed with the held ones, so a lease claimed in a pass that has not
   * finished yet (the agent's held set follows at its end) does not lapse in between (issue 16).
   */
  private readonly claimed = new Set<string>();

  /** `session`: a long-lived `nft -i` for the renewals, which come with every vouching probe. */
  constructor(private readonly names: LeaseNames, private readonly run: NftRunner = localNft, private readonly session?: NftSession) {}

  ensure(owned: readonly string[]): Promise<void> {
    return this.must(renderLeaseSetup(this.names, owned), 'lease setup');
  }

  async claim(ips: readonly string[], ms: number): Promise<void> {
    await this.must(renderLeaseClaim(this.names, ips, ms), 'lease claim', true);
    for (const ip of ips) this.claimed.add(ip);
  }

  async renew(held: readonly string[], ms: number): Promise<string[]> {
    const ips = [...new Set([...held, ...this.claimed])];
    const nft = (text: string): Promise<{ ok: boolean }> => this.session?.run(text) ?? this.nft(text);
    if ((await nft(renderLeaseRenew(this.names, ips, ms))).ok) return [];
    // Some lease had expired (the batch failed whole): renew one by one to learn which.
    const lapsed: string[] = [];
    for (const ip of ips) if (!(await nft(renderLeaseRenew(this.names, [ip], ms))).ok) lapsed.push(ip);
    for (const ip of lapsed) this.claimed.delete(ip);
    return lapsed;
  }

  end(ips: readonly string[]): Promise<void> {
    for (const ip of ips) this.claimed.delete(ip);
    return this.must(renderLeaseEnd(this.names, ips), 'lease end', true);
  }

  async read(): Promise<LeaseTablesView> {
    const r = await this.run(['-j', 'list', 'table', 'arp', this.names.table]);
    return parseLeaseTables(r.exitCode === 0 ? r.stdout : '');
  }

  remove(): Promise<void> {
    return this.must(renderLeaseRemove(this.names), 'lease removal');
  }

  private async nft(text: string): Promise<{ ok: boolean; error: string }> {
    if (!text) return { ok: true, error: '' };
    const r = await this.run(['-f', '-'], text);
    return { ok: r.exitCode === 0, error: r.stderr.trim().split('\n')[0] ?? '' };
  }

  /** `hot`: an element batch on a failover's or a release's path, sent over the session when there is one. */
  private async must(text: string, what: string, hot = false): Promise<void> {
    const r = hot && this.session && text ? await this.session.run(text) : await this.nft(text);
    if (!r.ok) throw new Error(`nft ${what} failed: ${r.error}`);
  }
}
