// Healing by events (issue 12 §2). The kernel tells us when our state changes: `ip monitor` for
// rules, routes, addresses, links and rp_filter (netconf), `nft monitor` for every nftables change
// (our guard table on any backend, the iptables tables on the nft backend). classifyMonitorLine
// picks out what may be damage to us — of both families' states where the IPv6 one runs (issue 11):
// IPv6 rules and routes in our ranges, the uplink's /128s, the ip6tables tables, the ip6 guard
// table (ipsets of either family come from the poll). A DamageTracker decides when to heal and
// when the same damage keeps coming back (another program fighting us: back off, raise an Event).
// Pure; the child processes live in kernel/linux-monitor.ts, the wiring in main.ts.
import type { Clock, TimerHandle } from '@static-egress/controller-kit';
import type { OwnedRanges } from '../desired/types.js';
import type { HealKind } from '../plan/damage.js';

export interface WatchNames {
  uplink: string;
  vxlanDevice: string;
  /** nftables table of the egress guard */
  guardTable: string;
  ranges: Pick<OwnedRanges, 'tableMin' | 'tableMax' | 'priorityMin' | 'priorityMax'>;
  /** the IPv6 state's objects are watched too (this node runs it): its guard table (ip6 family), its tunnel device */
  ipv6?: { guardTable: string; vxlanDevice?: string };
}

const IPTABLES_TABLES = /^(?:delete|flush|insert|replace) (?:rule|chain|table|set|element) (ip|inet|ip6) (?:nat|mangle|filter|raw)\b/;
const ANY_NFT_CHANGE = /^(?:delete|flush|insert|replace) (?:rule|chain|table|set|element) (ip|inet|arp|bridge|netdev|ip6) (\S+)/;

function nftKind(line: string, n: WatchNames): HealKind | null {
  const ipt = IPTABLES_TABLES.exec(line);
  if (ipt) return ipt[1] !== 'ip6' || n.ipv6 ? 'iptables' : null;
  const m = ANY_NFT_CHANGE.exec(line);
  if (!m) return null;
  return m[2] === n.guardTable || (n.ipv6 && m[1] === 'ip6' && m[2] === n.ipv6.guardTable) ? 'guard' : null;
}

const inRange = (x: number, lo: number, hi: number) => x >= lo && x <= hi;

/**
 * What an `ip -o monitor rule route address link netconf` line says about our state, if anything.
 * Rules and routes print alike in both families (`Deleted 5001:\tfrom all fwmark …`, `Deleted
 * default via 2001:db8::1 dev eth0 table 5001 metric 1024 …`); IPv6 rules and routes of ours only
 * exist where the IPv6 state runs.
 */
function ipKind(line: string, n: WatchNames): HealKind | null {
  const deleted = line.startsWith('Deleted ');
  const body = deleted ? line.slice(8) : line;
  const r = n.ranges;
  const rule = /^(\d+):\s+from /.exec(body);
  if (rule) return deleted && inRange(Number(rule[1]), r.priorityMin, r.priorityMax) ? 'rule' : null;
  const table = /\btable (\d+)\b/.exec(body);
  if (table && !/^\d+: /.test(body)) return deleted && inRange(Number(table[1]), r.tableMin, r.tableMax) ? 'route' : null;
  if (deleted && new RegExp(`^\\d+: ${escape(n.uplink)}\\s+inet \\S+/32 `).test(body)) return 'address';
  // ours are the /128s added nodad (kernel/linux-netlink.ts)
  if (deleted && n.ipv6 && new RegExp(`^\\d+: ${escape(n.uplink)}\\s+inet6 \\S+/128 .*\\bnodad\\b`).test(body)) return 'address';
  for (const dev of [n.vxlanDevice, ...(n.ipv6?.vxlanDevice ? [n.ipv6.vxlanDevice] : [])]) {
    if (deleted && new RegExp(`^\\d+: ${escape(dev)}[:@\\s]`).test(body)) return 'vxlan';
  }
  if (new RegExp(`^(?:inet|ipv4 dev) ${escape(n.vxlanDevice)} .*\\brp_filter (?!loose)`).test(body)) return 'vxlan';
  return null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function classifyMonitorLine(source: 'ip' | 'nft', line: string, n: WatchNames): HealKind | null {
  const l = line.trim();
  if (!l || l.startsWith('#')) return null;
  return source === 'nft' ? nftKind(l, n) : ipKind(l, n);
}

export interface TrackerSettings {
  /** the same damage back within this long counts as a repeat */
  repeatWithinMs: number;
  /** repeats before an Event (and before backing off) */
  repeatsToAlert: number;
  /** the longest a heal waits when the same damage keeps returning */
  maxDelayMs: number;
}

export const DEFAULT_TRACKER: TrackerSettings = { repeatWithinMs: 2_000, repeatsToAlert: 3, maxDelayMs: 5_000 };


/**
 * Per kind of damage that a sync found and healed: when it was last healed and how often it came
 * back in a row. Events heal at once until a kind has repeated `repeatsToAlert` times; then the heal
 * waits, doubling with each further repeat (250 ms up to maxDelayMs), so we never fight another
 * program in a tight loop — the guards keep the data path closed meanwhile — and one Event tells
 * the operator (once per streak). A kind quiet for repeatWithinMs starts over.
 */
export class DamageTracker {
  private readonly kinds = new Map<HealKind, { last: number; repeats: number }>();
  constructor(private readonly s: TrackerSettings = DEFAULT_TRACKER) {}

  /** A sync healed `kind` at `now`: whether to raise the Event now, and the streak so far. */
  healed(kind: HealKind, now: number): { alert: boolean; repeats: number } {
    const prev = this.kinds.get(kind);
    const repeats = prev && now - prev.last <= this.s.repeatWithinMs ? prev.repeats + 1 : 0;
    this.kinds.set(kind, { last: now, repeats });
    return { alert: repeats === this.s.repeatsToAlert, repeats };
  }

  /** How long a heal of `kind` seen at `now` waits. */
  delayMs(kind: HealKind, now: number): number {
    const k = this.kinds.get(kind);
    if (!k || now - k.last > this.s.repeatWithinMs) return 0;
    const over = k.repeats - this.s.repeatsToAlert;
    return over < 0 ? 0 : Math.min(this.s.maxDelayMs, 250 * 2 ** over);
  }
}

export interface HealerOptions {
  clock: Clock;
  names: WatchNames;
  /** asks for a full sync (re-read the kernel, repair what differs) */
  heal: (reason: string) => void;
  /** the same damage came back `repeats` times in a row: raise the Event */
  alert: (kind: HealKind, repeats: number) => void;
  tracker?: DamageTracker;
}

/** Monitor lines in, heals out: at once, or after the tracker's back-off when a damage keeps coming back. */
export class DamageHealer {
  private readonly tracker: DamageTracker;
  private pending: TimerHandle | undefined;
  private pendingAt = Number.POSITIVE_INFINITY;

  constructor(private readonly o: HealerOptions) {
    this.tracker = o.tracker ?? new DamageTracker();
  }

  onLine(source: 'ip' | 'nft' | 'poll', line: string): void {
    const kind = source === 'poll' ? 'ipset' : classifyMonitorLine(source, line, this.o.names);
    if (!kind) return;
    const now = this.o.clock.now();
    const delay = this.tracker.delayMs(kind, now);
    if (delay === 0) return this.o.heal(`damage:${kind}`);
    if (now + delay >= this.pendingAt) return; // a heal is due sooner already
    this.o.clock.clearTimeout(this.pending);
    this.pendingAt = now + delay;
    this.pending = this.o.clock.setTimeout(() => {
      this.pendingAt = Number.POSITIVE_INFINITY;
      this.o.heal(`damage:${kind} (backed off ${delay} ms)`);
    }, delay);
  }

  /** What a full sync found damaged and repaired. */
  healed(kinds: Partial<Record<HealKind, number>>): void {
    const now = this.o.clock.now();
    for (const kind of Object.keys(kinds) as HealKind[]) {
      const { alert, repeats } = this.tracker.healed(kind, now);
      if (alert) this.o.alert(kind, repeats);
    }
  }

  stop(): void {
    this.o.clock.clearTimeout(this.pending);
  }
}
