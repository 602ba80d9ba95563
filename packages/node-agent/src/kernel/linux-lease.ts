// Applies the kernel lease (render/lease.ts; its IPv6 counterpart render/lease6.ts) with `nft -f -`,
// one batch per call: each batch is one netlink transaction, applied whole or not at all. With a
// session (a long-lived `nft -i`), the element batches — renewals, claims, ends: the ones on a
// probe's or a failover's path — go over it.
import { execa } from 'execa';
import {
  parseLeaseTables, renderLeaseClaim, renderLeaseEnd, renderLeaseRemove, renderLeaseRenew, renderLeaseSetup, type LeaseNames, type LeaseTablesView,
} from '../render/lease.js';
import {
  parseLease6Tables, renderLease6Claim, renderLease6End, renderLease6Remove, renderLease6Renew, renderLease6Setup,
} from '../render/lease6.js';
import type { LeaseTable } from './interfaces.js';
import type { NftSession } from './nft-session.js';

/** Runs `nft` with args and stdin; the default runs it in this process's network namespace. */
export type NftRunner = (args: string[], input?: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

const localNft: NftRunner = async (args, input) => {
  const r = await execa('nft', args, { input, reject: false });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
};

/** One family's lease texts: the ARP guard (IPv4) or the neighbour-advertisement guard (IPv6). */
export interface LeaseTexts {
  /** the nftables family of the lease's table */
  nftFamily: 'arp' | 'ip6';
  setup: (n: LeaseNames, owned: readonly string[]) => string;
  claim: (n: LeaseNames, ips: readonly string[], ms: number) => string;
  renew: (n: LeaseNames, ips: readonly string[], ms: number) => string;
  end: (n: LeaseNames, ips: readonly string[]) => string;
  remove: (n: LeaseNames) => string;
  parse: (json: string) => LeaseTablesView;
}

export const ARP_LEASE: LeaseTexts = {
  nftFamily: 'arp', setup: renderLeaseSetup, claim: renderLeaseClaim, renew: renderLeaseRenew, end: renderLeaseEnd, remove: renderLeaseRemove, parse: parseLeaseTables,
};
export const NA_LEASE: LeaseTexts = {
  nftFamily: 'ip6', setup: renderLease6Setup, claim: renderLease6Claim, renew: renderLease6Renew, end: renderLease6End, remove: renderLease6Remove, parse: parseLease6Tables,
};

export class LinuxLeaseTable implements LeaseTable {
  /**
   * IPs claimed and not ended: renewed with the held ones, so a lease claimed in a pass that has not
   * finished yet (the agent's held set follows at its end) does not lapse in between (issue 16).
   */
  private readonly claimed = new Set<string>();
  /**
   * IPs whose lease ran out and that were not claimed since. A renewal cannot revive them, so it no
   * longer tries: each lapse is reported once. (Reported again by every renewal while the address
   * stayed held, each report was a new lapse to self-fencing and voided the API confirmation in
   * flight — with renewals every probe, the node could never claim again.)
   */
  private readonly lapsed = new Set<string>();
  /** Claims started: a renewal that a claim overlapped reports nothing (the next renewal tells). */
  private claims = 0;

  /**
   * `session`: a long-lived `nft -i` for the renewals, which come with every vouching probe; `moves`:
   * another for claims and ends (a takeover's claim never waits behind a renewal queued on the same
   * probe; each batch is its own transaction either way). Without `moves` they share `session`.
   */
  constructor(
    private readonly names: LeaseNames, private readonly run: NftRunner = localNft, private readonly session?: NftSession,
    private readonly texts: LeaseTexts = ARP_LEASE, private readonly moves: NftSession | undefined = session,
  ) {}

  ensure(owned: readonly string[]): Promise<void> {
    return this.must(this.texts.setup(this.names, owned), 'lease setup');
  }

  async claim(ips: readonly string[], ms: number): Promise<void> {
    this.claims++;
    await this.must(this.texts.claim(this.names, ips, ms), 'lease claim', true);
    for (const ip of ips) {
      this.claimed.add(ip);
      this.lapsed.delete(ip);
    }
  }

  async renew(held: readonly string[], ms: number): Promise<string[]> {
    const ips = [...new Set([...held, ...this.claimed])].filter((ip) => !this.lapsed.has(ip));
    const claims = this.claims;
    const nft = (text: string): Promise<{ ok: boolean }> => this.session?.run(text) ?? this.nft(text);
    if ((await nft(this.texts.renew(this.names, ips, ms))).ok) return [];
    // Some lease had expired (the batch failed whole): renew one by one to learn which.
    const lapsed: string[] = [];
    for (const ip of ips) if (!(await nft(this.texts.renew(this.names, [ip], ms))).ok) lapsed.push(ip);
    // a claim that ran meanwhile may have leased some of them again: never mark a fresh lease lapsed
    if (this.claims !== claims) return [];
    for (const ip of lapsed) {
      this.claimed.delete(ip);
      this.lapsed.add(ip);
    }
    return lapsed;
  }

  end(ips: readonly string[]): Promise<void> {
    for (const ip of ips) {
      this.claimed.delete(ip);
      this.lapsed.delete(ip);
    }
    return this.must(this.texts.end(this.names, ips), 'lease end', true);
  }

  async read(): Promise<LeaseTablesView> {
    const r = await this.run(['-j', 'list', 'table', this.texts.nftFamily, this.names.table]);
    return this.texts.parse(r.exitCode === 0 ? r.stdout : '');
  }

  remove(): Promise<void> {
    return this.must(this.texts.remove(this.names), 'lease removal');
  }

  private async nft(text: string): Promise<{ ok: boolean; error: string }> {
    if (!text) return { ok: true, error: '' };
    const r = await this.run(['-f', '-'], text);
    return { ok: r.exitCode === 0, error: r.stderr.trim().split('\n')[0] ?? '' };
  }

  /** `hot`: an element batch on a failover's or a release's path, sent over the session when there is one. */
  private async must(text: string, what: string, hot = false): Promise<void> {
    const r = hot && this.moves && text ? await this.moves.run(text) : await this.nft(text);
    if (!r.ok) throw new Error(`nft ${what}${this.texts.nftFamily === 'ip6' ? ' (ip6)' : ''} failed: ${r.error}`);
  }
}
