// The IPv6 state's kernel capabilities (issue 11), in the network namespace this process runs in:
// ip6tables (one `ip6tables-restore --noflush` per transaction, as for IPv4), IPv6 fwmark rules and
// routes in our ranges and /128 egress addresses through `ip -6` (its JSON output), the NA lease
// (render/lease6.ts) through `nft -f`, and the unsolicited NA (render/na.ts) through a raw ICMPv6
// socket. IPv6 addresses carry no label: ours are the /128s we add `nodad` (a host's own addresses
// go through DAD), which is also what keeps an egress address from waiting ~1 s in `tentative`.
import { execa } from 'execa';
import { canonicalIP } from '@static-egress/crds';
import type { LeaseNames, LeaseTablesView } from '../render/lease.js';
import {
  parseLease6Tables, renderLease6Claim, renderLease6End, renderLease6Remove, renderLease6Renew, renderLease6Setup,
} from '../render/lease6.js';
import { renderUnsolicitedNA } from '../render/na.js';
import type { RouteIntent, RuleIntent } from '../render/types.js';
import { parseGuardListing, renderGuardRemove } from '../render/guard.js';
import { RepeatedAnnouncer } from './linux-exec.js';
import type { AddressManager, GuardTable, IptablesRestorer, LeaseTable, OwnedAddress, RouteTable, RuleTable } from './interfaces.js';

/** Runs a command with args and stdin; the default runs it in this process's network namespace (tests pass their own). */
export type Exec = (cmd: string, args: string[], input?: string) => Promise<{ ok: boolean; out: string; err: string }>;

export const localExec: Exec = async (cmd, args, input) => {
  const r = await execa(cmd, args, { input, reject: false, stripFinalNewline: false });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr || r.stdout).trim().split('\n')[0] ?? '' };
};

async function mustOf(run: Exec, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

/** Base of the appliers: `run` may fail, `must` throws. */
class Runs {
  constructor(protected readonly run: Exec = localExec) {}
  protected must(cmd: string, args: string[], input?: string): Promise<string> { return mustOf(this.run, cmd, args, input); }
  protected async ip6<T>(args: string[]): Promise<T[]> { return JSON.parse((await this.must('ip', ['-6', '-j', ...args])) || '[]') as T[]; }
}

export class LinuxIp6tables extends Runs implements IptablesRestorer {
  save(opts: { counters?: boolean } = {}): Promise<string> {
    return this.must('ip6tables-save', opts.counters ? ['-c'] : []);
  }
  async restore(text: string): Promise<void> {
    if (text) await this.must('ip6tables-restore', ['-w', '5', '--noflush'], text);
  }
}

/** `ip -j` prints numbers, decimal text or 0x-hex text (fwmarks). */
const num = (v: string | number | undefined): number => (typeof v === 'number' ? v : Number(v ?? Number.NaN));

export class LinuxIp6Rules extends Runs implements RuleTable {
  async list(min: number, max: number): Promise<RuleIntent[]> {
    const rules = await this.ip6<{ priority: number; fwmark?: string; fwmask?: string; table?: string }>(['rule', 'show']);
    return rules.filter((r) => r.priority >= min && r.priority <= max && r.fwmark !== undefined)
      .map((r) => ({ priority: r.priority, fwmark: num(r.fwmark) >>> 0, fwmask: num(r.fwmask ?? '0xffffffff') >>> 0, table: num(r.table) }));
  }
  async add(rules: readonly RuleIntent[]): Promise<void> {
    const have = await this.list(0, 2 ** 32);
    for (const r of rules) {
      if (have.some((h) => h.priority === r.priority && h.fwmark === r.fwmark && h.fwmask === r.fwmask && h.table === r.table)) continue;
      await this.must('ip', ['-6', 'rule', 'add', 'priority', String(r.priority), 'fwmark', `0x${r.fwmark.toString(16)}/0x${r.fwmask.toString(16)}`, 'lookup', String(r.table)]);
    }
  }
  async del(rules: readonly RuleIntent[]): Promise<void> {
    for (const r of rules) await this.run('ip', ['-6', 'rule', 'del', 'priority', String(r.priority), 'fwmark', `0x${r.fwmark.toString(16)}/0x${r.fwmask.toString(16)}`, 'lookup', String(r.table)]);
  }
}

type Ip6Route = { type?: string; dst: string; gateway?: string; dev?: string; table?: string | number; flags?: string[]; metric?: number };

export class LinuxIp6Routes extends Runs implements RouteTable {
  async list(min: number, max: number): Promise<RouteIntent[]> {
    const routes = await this.ip6<Ip6Route>(['route', 'show', 'table', 'all']);
    const out: RouteIntent[] = [];
    for (const r of routes) {
      const table = num(r.table);
      if (!(table >= min && table <= max)) continue;
      const route: RouteIntent = { table, type: r.type === 'unreachable' ? 'unreachable' : 'unicast', onlink: (r.flags ?? []).includes('onlink') };
      if (r.gateway) route.gateway = canonicalIP(r.gateway) ?? r.gateway;
      if (r.dev && route.type === 'unicast') route.dev = r.dev;
      if (r.dst !== 'default') route.dst = r.dst;
      out.push(route);
    }
    return out;
  }
  async replace(routes: readonly RouteIntent[]): Promise<void> {
    for (const r of routes) {
      const args = r.type === 'unreachable' ? ['unreachable', 'default'] : ['default', 'via', r.gateway!, 'dev', r.dev!, ...(r.onlink ? ['onlink'] : [])];
      await this.must('ip', ['-6', 'route', 'replace', ...args, 'table', String(r.table)]);
    }
  }
  async del(routes: readonly RouteIntent[]): Promise<void> {
    for (const r of routes) await this.run('ip', ['-6', 'route', 'del', ...(r.type === 'unreachable' ? ['unreachable'] : []), r.dst ?? 'default', 'table', String(r.table)]);
  }
}

type Ip6Link = { addr_info?: { family: string; local: string; prefixlen: number; scope: string; nodad?: boolean }[] };

export class LinuxIp6Addresses extends Runs implements AddressManager {
  async list(dev: string): Promise<OwnedAddress[]> {
    const links = await this.ip6<Ip6Link>(['addr', 'show', 'dev', dev]);
    return links.flatMap((l) => l.addr_info ?? []).filter((a) => a.family === 'inet6' && a.prefixlen === 128 && a.scope === 'global')
      .map((a) => ({ ip: canonicalIP(a.local) ?? a.local, dev, owned: a.nodad === true }));
  }
  /** `nodad`: usable at once (no ~1 s tentative state, no DAD probe from the address). */
  async add(dev: string, ips: readonly string[]): Promise<string[]> {
    const added: string[] = [];
    for (const ip of ips) {
      const r = await this.run('ip', ['-6', 'addr', 'add', `${ip}/128`, 'dev', dev, 'nodad']);
      if (r.ok) added.push(ip);
      else if (!/exists|already assigned/i.test(r.err)) throw new Error(`ip -6 addr add ${ip}/128 dev ${dev} failed: ${r.err}`);
    }
    return added;
  }
  async del(dev: string, ips: readonly string[]): Promise<void> {
    for (const ip of ips) await this.run('ip', ['-6', 'addr', 'del', `${ip}/128`, 'dev', dev]);
  }
}


export class LinuxLease6Table implements LeaseTable {
  constructor(private readonly names: LeaseNames, private readonly run: Exec = localExec) {}
  private nft(args: string[], input?: string) { return this.run('nft', args, input); }
  ensure(owned: readonly string[]): Promise<void> { return this.must(renderLease6Setup(this.names, owned), 'lease setup'); }
  claim(ips: readonly string[], ms: number): Promise<void> { return this.must(renderLease6Claim(this.names, ips, ms), 'lease claim'); }
  async renew(ips: readonly string[], ms: number): Promise<string[]> {
    if (await this.ok(renderLease6Renew(this.names, ips, ms))) return [];
    const lapsed: string[] = [];
    for (const ip of ips) if (!(await this.ok(renderLease6Renew(this.names, [ip], ms)))) lapsed.push(ip);
    return lapsed;
  }
  end(ips: readonly string[]): Promise<void> { return this.must(renderLease6End(this.names, ips), 'lease end'); }
  async read(): Promise<LeaseTablesView> {
    const r = await this.nft(['-j', 'list', 'table', 'ip6', this.names.table]);
    return parseLease6Tables(r.ok ? r.out : '');
  }
  remove(): Promise<void> { return this.must(renderLease6Remove(this.names), 'lease removal'); }
  private async ok(text: string): Promise<boolean> { return !text || (await this.nft(['-f', '-'], text)).ok; }
  private async must(text: string, what: string): Promise<void> {
    if (!text) return;
    const r = await this.nft(['-f', '-'], text);
    if (!r.ok) throw new Error(`nft ${what} (ip6) failed: ${r.err}`);
  }
}

// A raw ICMPv6 socket needs CAP_NET_RAW and a socket API Node.js lacks: a few lines of Python do it.
// Bound to the egress IP (the source the lease checks) and to the device, hop limit 255 (RFC 4861).
const NA_SENDER = [
  'import socket,sys',
  'dev,src,msg=sys.argv[1],sys.argv[2],bytes.fromhex(sys.argv[3])',
  's=socket.socket(socket.AF_INET6,socket.SOCK_RAW,socket.IPPROTO_ICMPV6)',
  's.setsockopt(socket.SOL_SOCKET,socket.SO_BINDTODEVICE,dev.encode())',
  's.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_HOPS,255)',
  's.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_IF,socket.if_nametoindex(dev))',
  's.bind((src,0))',
  's.sendto(msg,("ff02::1",0,0,socket.if_nametoindex(dev)))',
].join('\n');

/** Sends one unsolicited NA now; resolves when it left (or rejects: lease drop, no such address). */
export async function sendUnsolicitedNA(dev: string, ip: string, mac: string, run: Exec = localExec): Promise<void> {
  await mustOf(run, 'python3', ['-c', NA_SENDER, dev, ip, Buffer.from(renderUnsolicitedNA(ip, mac)).toString('hex')]);
}

/**
 * Unsolicited NAs at the GARPs' delays and under the same repeat guard (RepeatedAnnouncer). The
 * link-layer address is read once per device, not once per NA.
 */
export class LinuxUnsolicitedNA extends RepeatedAnnouncer {
  constructor(macOf: (dev: string) => Promise<string>, delaysMs?: readonly number[], onError?: (e: Error) => void) {
    const macs = new Map<string, Promise<string>>();
    const mac = (dev: string) => {
      let m = macs.get(dev);
      if (!m) {
        m = macOf(dev);
        m.catch(() => macs.delete(dev)); // read again next time
        macs.set(dev, m);
      }
      return m;
    };
    super((dev, ip) => { mac(dev).then((m) => sendUnsolicitedNA(dev, ip, m)).catch((e: Error) => onError?.(e)); }, delaysMs);
  }
}

/** The link-layer address of dev (for the NA's target option). */
export async function linkMAC(dev: string, run: Exec = localExec): Promise<string> {
  const [link] = JSON.parse((await mustOf(run, 'ip', ['-j', 'link', 'show', 'dev', dev])) || '[]') as { address?: string }[];
  if (!link?.address) throw new Error(`no link-layer address on ${dev}`);
  return link.address;
}

/** The egress guard's ip6 table (render/guard.ts renders it for the IPv6 state). */
export class LinuxGuard6Table implements GuardTable {
  constructor(private readonly table: string, private readonly run: Exec = localExec) {}
  async read(): Promise<{ hash: string; rules: number } | null> {
    const r = await this.run('nft', ['-j', 'list', 'table', 'ip6', this.table]);
    if (r.ok) return parseGuardListing(r.out);
    if (/No such file or directory/.test(r.err)) return null;
    throw new Error(`nft list table ip6 ${this.table}: ${r.err}`);
  }
  async apply(text: string): Promise<void> {
    const r = await this.run('nft', ['-f', '-'], text);
    if (!r.ok) throw new Error(`guard apply (ip6): ${r.err}`);
  }
  remove(): Promise<void> {
    return this.apply(renderGuardRemove({ ipsetPrefix: this.table.replace(/_guard$/, '') }, 'ip6'));
  }
}
