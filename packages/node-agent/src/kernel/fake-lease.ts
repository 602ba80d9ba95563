// In-memory LeaseTable with real state: leases expire on the injected clock, like the kernel's
// element timeouts; a renewal never revives an expired lease, and reports each lapse once (as
// LinuxLeaseTable: an IP that lapsed is not renewed again until it is claimed).
import type { Clock } from '@static-egress/controller-kit';
import type { ConntrackFlusher, LeaseTable } from './interfaces.js';

export class FakeLeaseTable implements LeaseTable {
  owned = new Set<string>();
  /** ip → expiry time; absent when the guard does not exist */
  private readonly until = new Map<string, number>();
  /** lapsed and not claimed since */
  private readonly lapsed = new Set<string>();
  present = false;

  constructor(private readonly clock: Clock) {}

  async ensure(owned: readonly string[]): Promise<void> {
    this.present = true;
    this.owned = new Set(owned);
  }

  async claim(ips: readonly string[], ms: number): Promise<void> {
    this.must();
    for (const ip of ips) {
      this.until.set(ip, this.clock.now() + ms);
      this.lapsed.delete(ip);
    }
  }

  async renew(ips: readonly string[], ms: number): Promise<string[]> {
    this.must();
    const live = ips.filter((ip) => !this.lapsed.has(ip));
    const lapsed = live.filter((ip) => !this.running(ip));
    for (const ip of live) if (this.running(ip)) this.until.set(ip, this.clock.now() + ms);
    for (const ip of lapsed) this.lapsed.add(ip);
    return lapsed;
  }

  async end(ips: readonly string[]): Promise<void> {
    for (const ip of ips) {
      this.until.delete(ip);
      this.lapsed.delete(ip);
    }
  }

  /** IPs whose lease runs now (for tests; the product reads them through read()). */
  async leased(): Promise<Set<string>> {
    return new Set([...this.until.keys()].filter((ip) => this.running(ip)));
  }

  async read(): Promise<{ guard: boolean; owned: Set<string>; leased: Set<string> }> {
    return { guard: this.present, owned: new Set(this.owned), leased: await this.leased() };
  }

  async remove(): Promise<void> {
    this.present = false;
    this.owned.clear();
    this.until.clear();
    this.lapsed.clear();
  }

  /** May the node announce ip now (the kernel guard's verdict)? */
  announces(ip: string): boolean {
    return !this.present || !this.owned.has(ip) || this.running(ip);
  }

  private running(ip: string): boolean {
    const t = this.until.get(ip);
    return t !== undefined && t > this.clock.now();
  }

  private must(): void {
    if (!this.present) throw new Error('lease table missing');
  }
}

export class FakeConntrack implements ConntrackFlusher {
  /** flows: egress IP → count (a test seeds them) */
  readonly flows = new Map<string, number>();
  forgotten: string[] = [];
  async forget(ips: readonly string[]): Promise<void> {
    for (const ip of ips) { this.flows.delete(ip); this.forgotten.push(ip); }
  }
}
