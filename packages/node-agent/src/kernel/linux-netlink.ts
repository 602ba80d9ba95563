// Rules, routes and addresses of one family over one rtnetlink socket of the namespace this process
// runs in: the IPv4 state's, and the IPv6 state's (issue 11: the same path, so an IPv6 claim costs
// what an IPv4 one does — no `ip` process per change).
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { cidrAddress, formatIP, ipFromBytes, ipToBytes, parseCIDR, type IPAddress } from '@static-egress/crds';
import type { RouteIntent, RuleIntent } from '../render/types.js';
import type { AddressManager, OwnedAddress, RouteTable, RuleTable } from './interfaces.js';
import type * as NL from 'netlink';

const require = createRequire(import.meta.url);
const netlink = require('netlink') as typeof NL;

const AF_INET = 2;
const AF_INET6 = 10;
const RTNH_F_ONLINK = 4;
const RTN_UNICAST = 1;
const RTN_UNREACHABLE = 7;
const FR_ACT_TO_TBL = 1;
const RTPROT_STATIC = 4;
const NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
const ENOENT = 2, EEXIST = 17, ESRCH = 3, EADDRNOTAVAIL = 99;
/**
 * Requests in flight at once. Every ack is an skb charged at its truesize to the socket's receive
 * buffer: ~260 outstanding acks overflow the default 208 KiB, the kernel drops them (ENOBUFS)
 * and the requests would never complete. 64 keeps far from that; a timeout catches the rest.
 */
const WINDOW = 64;
const TIMEOUT = { timeout: 10_000 };

function ipBuf(ip: string | IPAddress): Buffer {
  return Buffer.from(ipToBytes(ip));
}
/** An address attribute of `family` as text. */
function bufIP(b: Buffer | undefined, family: 4 | 6): string | undefined {
  const a = b && ipFromBytes(b);
  return a?.family === family ? formatIP(a) : undefined;
}
/** The metric the kernel gives an IPv6 route that names none (IPv4's is 0, never reported). */
const IP6_DEFAULT_METRIC = 1024;
/** The errno of a rejected request: the binding only says it in the message ("Request rejected: EEXIST"). */
function errno(e: unknown): number | undefined {
  const x = e as { errno?: number; message?: string };
  if (typeof x?.errno === 'number') return Math.abs(x.errno);
  const m = /Request rejected: (?:(E[A-Z0-9]+)|-?(\d+))/.exec(x?.message ?? '');
  if (!m) return undefined;
  return m[1] ? (osConstants.errno as Record<string, number>)[m[1]] : Number(m[2]);
}
async function windowed<T>(items: readonly T[], fn: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += WINDOW) await Promise.all(items.slice(i, i + WINDOW).map(fn));
}
function ignoring(codes: number[]) {
  return (e: unknown) => {
    const n = errno(e);
    if (n === undefined || !codes.includes(n)) throw e;
  };
}

/** One address of one interface, as the host has it (not only ours). */
export interface InterfaceAddress {
  dev: string;
  ip: string;
  label?: string;
  /** IPv6: a global /128 added nodad — an egress address of ours (IPv4's are told by their label) */
  ours?: boolean;
}

/**
 * Implements RuleTable, RouteTable and AddressManager of one family. One instance (one socket) per
 * process and family; the process must run inside the node's network namespace (`ip netns exec` or
 * hostNetwork). IPv4 egress addresses are /32s carrying our label; IPv6 ones are /128s added
 * `nodad` (usable at once, no duplicate address detection), which is also what marks them ours:
 * IPv6 addresses carry no label, and a host's own addresses go through DAD.
 */
export class LinuxNetlink {
  private readonly sock = netlink.createRtNetlink();
  /** The library groups a dump's parts per socket and breaks when an ack lands in the middle of
   * one: dumps get their own socket, one at a time. */
  private readonly dumpSock = netlink.createRtNetlink();
  private ifindex = new Map<string, number>();
  private ifname = new Map<number, string>();

  /** The kernel runs one dump per socket at a time: dumps are serialized. */
  private dumpLock: Promise<unknown> = Promise.resolve();
  private dump<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.dumpLock.then(fn, fn);
    this.dumpLock = p.catch(() => undefined);
    return p;
  }

  private readonly af: number;
  private readonly hostLen: number;

  constructor(private readonly addressLabel: (dev: string) => string | undefined, onError?: (e: Error) => void, private readonly family: 4 | 6 = 4) {
    this.af = family === 6 ? AF_INET6 : AF_INET;
    this.hostLen = family === 6 ? 128 : 32;
    // the binding emits socket errors (ENOBUFS) as events: unhandled, they abort the process
    for (const s of [this.sock, this.dumpSock]) s.socket.on('error', (e: Error) => onError?.(e));
  }

  close(): void {
    this.sock.socket.close();
    this.dumpSock.socket.close();
  }

  private async refreshLinks(): Promise<void> {
    const links = await this.dump(() => this.dumpSock.getLinks(undefined, undefined, TIMEOUT));
    this.ifindex = new Map();
    this.ifname = new Map();
    for (const l of links) {
      const name = l.attrs.ifname;
      if (name !== undefined && l.data.index !== undefined) {
        this.ifindex.set(name, l.data.index);
        this.ifname.set(l.data.index, name);
      }
    }
  }
  async indexOf(dev: string): Promise<number> {
    let i = this.ifindex.get(dev);
    if (i === undefined) {
      await this.refreshLinks();
      i = this.ifindex.get(dev);
    }
    if (i === undefined) throw new Error(`no such interface: ${dev}`);
    return i;
  }
  /** The link-layer address of dev (the unsolicited NA's target option), from one link dump. */
  async linkMAC(dev: string): Promise<string> {
    const links = await this.dump(() => this.dumpSock.getLinks(undefined, undefined, TIMEOUT));
    const mac = links.find((l) => l.attrs.ifname === dev)?.attrs.address;
    if (!mac?.length) throw new Error(`no link-layer address on ${dev}`);
    return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  }
  private async nameOf(index: number): Promise<string | undefined> {
    if (!this.ifname.has(index)) await this.refreshLinks();
    return this.ifname.get(index);
  }

  // ---- the three capabilities, sharing the socket and the link cache
  readonly rules: RuleTable = {
    list: (min, max) => this.listRules(min, max),
    add: (rules) => this.addRules(rules),
    del: (rules) => this.delRules(rules),
  };
  readonly routes: RouteTable = {
    list: (min, max) => this.listRoutes(min, max),
    replace: (routes) => this.replaceRoutes(routes),
    del: (routes) => this.delRoutes(routes),
  };
  readonly addresses: AddressManager = {
    list: (dev) => this.listAddresses(dev),
    add: (dev, ips) => this.addAddresses(dev, ips),
    del: (dev, ips) => this.delAddresses(dev, ips),
  };

  /** net.ipv4.conf.<dev>.rp_filter (see setDevconf). */
  setRpFilter(dev: string, value: number): Promise<void> {
    return this.setDevconf(dev, 'rp_filter', 8, value);
  }

  /**
   * net.ipv4.conf.<dev>.arp_announce (issue 14): 2 makes the kernel's own ARP requests carry the
   * uplink's primary address, never an egress IP a stale SNAT rule put on a packet, so a node that
   * returns after its IP moved cannot point its neighbours at itself.
   */
  setArpAnnounce(dev: string, value: number): Promise<void> {
    return this.setDevconf(dev, 'arp_announce', 18, value);
  }

  /**
   * Sets net.ipv4.conf.<dev>.<name> through rtnetlink (IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF →
   * IPV4_DEVCONF_*), which needs only CAP_NET_ADMIN: /proc/sys is read-only in an unprivileged pod.
   */
  private async setDevconf(dev: string, name: string, id: number, value: number): Promise<void> {
    const IFLA_INET_CONF = 1;
    const attr = (type: number, payload: Buffer) => {
      const b = Buffer.alloc((4 + payload.length + 3) & ~3);
      b.writeUInt16LE(4 + payload.length, 0);
      b.writeUInt16LE(type, 2);
      payload.copy(b, 4);
      return b;
    };
    const v = Buffer.alloc(4);
    v.writeUInt32LE(value, 0);
    await this.freshIndex(async () => {
      const index = await this.indexOf(dev);
      await this.sock.setLink({ index }, { afSpec: new Map([[AF_INET, attr(IFLA_INET_CONF, attr(id, v))]]) }, TIMEOUT);
    }).catch((e: Error) => { throw new Error(`set ${name}=${value} on ${dev}: ${e.message}`); });
  }

  /** Runs fn again with re-read interface indexes when it met ENODEV (a device deleted and re-created, e.g. our tunnel). */
  private async freshIndex<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!/ENODEV/.test((e as Error).message)) throw e;
      this.ifindex.clear();
      this.ifname.clear();
      return fn();
    }
  }

  // ---- rules
  private async listRules(min: number, max: number): Promise<RuleIntent[]> {
    const rules = await this.dump(() => this.dumpSock.getRules({ family: this.af }, undefined, TIMEOUT));
    const out: RuleIntent[] = [];
    for (const r of rules) {
      const prio = r.attrs.priority ?? 0;
      if (r.data.family !== this.af || prio < min || prio > max) continue;
      out.push({ priority: prio, fwmark: (r.attrs.fwmark ?? 0) >>> 0, fwmask: (r.attrs.fwmask ?? 0) >>> 0, table: r.attrs.table ?? r.data.table ?? 0 });
    }
    return out;
  }

  private ruleMsg(r: RuleIntent) {
    return [
      { family: this.af, action: FR_ACT_TO_TBL, table: r.table < 256 ? r.table : 0 },
      { priority: r.priority, fwmark: r.fwmark, fwmask: r.fwmask, table: r.table },
    ] as const;
  }
  private async addRules(rules: readonly RuleIntent[]): Promise<void> {
    await windowed(rules, (r) => {
      const [data, attrs] = this.ruleMsg(r);
      return this.sock.newRule({ ...data }, { ...attrs }, { ...TIMEOUT, flags: NLM_F_CREATE | NLM_F_EXCL }).catch(ignoring([EEXIST]))
        .catch((e: Error) => { throw new Error(`rule add priority ${r.priority} fwmark ${r.fwmark}/${r.fwmask} table ${r.table}: ${e.message}`); });
    });
  }
  private async delRules(rules: readonly RuleIntent[]): Promise<void> {
    await windowed(rules, (r) => {
      const [data, attrs] = this.ruleMsg(r);
      return this.sock.delRule({ ...data }, { ...attrs }, TIMEOUT).catch(ignoring([ENOENT, ESRCH]));
    });
  }

  // ---- routes
  private async listRoutes(min: number, max: number): Promise<RouteIntent[]> {
    const routes = await this.dump(() => this.dumpSock.getRoutes({ family: this.af }, undefined, TIMEOUT));
    const out: RouteIntent[] = [];
    for (const r of routes) {
      const table = r.attrs.table ?? r.data.table ?? 0;
      if (r.data.family !== this.af || table < min || table > max) continue;
      const type = r.data.type === RTN_UNREACHABLE || r.data.type === 'UNREACHABLE' ? 'unreachable' : 'unicast';
      const flags = (r.data.flags as { __unknown?: number } | undefined)?.__unknown ?? 0;
      const route: RouteIntent = { table, type, onlink: (flags & RTNH_F_ONLINK) !== 0 };
      const gw = bufIP(r.attrs.gateway, this.family);
      if (gw) route.gateway = gw;
      // an IPv6 unreachable route reports the loopback device: only a unicast route's device is its own
      if (r.attrs.oif !== undefined && type === 'unicast') route.dev = await this.nameOf(r.attrs.oif);
      // A route that is not a plain default route is somebody else's shape: keep it distinct so the
      // diff deletes it.
      if ((r.data.dstLen ?? 0) !== 0) route.dst = `${bufIP(r.attrs.dst, this.family)}/${r.data.dstLen}`;
      if (r.attrs.priority && !(this.family === 6 && r.attrs.priority === IP6_DEFAULT_METRIC)) route.metric = r.attrs.priority;
      out.push(route);
    }
    return out;
  }

  private async routeMsg(r: RouteIntent) {
    const data: NL.rt.Route = {
      family: this.af, dstLen: 0, table: r.table < 256 ? r.table : 0, protocol: RTPROT_STATIC,
      scope: 0, type: r.type === 'unreachable' ? RTN_UNREACHABLE : RTN_UNICAST,
      flags: r.onlink ? { __unknown: RTNH_F_ONLINK } : {},
    };
    const attrs: NL.rt.RouteAttrs = { table: r.table };
    if (r.gateway) attrs.gateway = ipBuf(r.gateway);
    if (r.dev) attrs.oif = await this.indexOf(r.dev);
    return { data, attrs };
  }

  private async replaceRoutes(routes: readonly RouteIntent[]): Promise<void> {
    await windowed(routes, async (r) => {
      await this.freshIndex(async () => {
        const { data, attrs } = await this.routeMsg(r);
        await this.sock.newRoute(data, attrs, { ...TIMEOUT, flags: NLM_F_CREATE | NLM_F_REPLACE });
      }).catch((e: Error) => {
        throw new Error(`route replace ${r.type} default${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''} table ${r.table}: ${e.message}`);
      });
    });
  }

  private async delRoutes(routes: readonly RouteIntent[]): Promise<void> {
    await windowed(routes, async (r) => {
      // Delete by table + default destination (+ type): what identifies the routes we own.
      const data: NL.rt.Route = { family: this.af, dstLen: 0, table: r.table < 256 ? r.table : 0, scope: 0 };
      const attrs: NL.rt.RouteAttrs = { table: r.table };
      if (r.dst) {
        const dst = parseCIDR(r.dst);
        if (typeof dst === 'string') throw new Error(`route delete table ${r.table}: dst ${r.dst} is ${dst}`);
        data.dstLen = dst.prefix;
        attrs.dst = ipBuf(cidrAddress(dst));
      }
      if (r.metric) attrs.priority = r.metric;
      await this.sock.delRoute(data, attrs, TIMEOUT).catch(ignoring([ESRCH, ENOENT]));
    });
  }

  // ---- addresses
  /** Every address of this family on every interface, with its label (what `ip -4 addr` shows). */
  async interfaceAddresses(): Promise<InterfaceAddress[]> {
    const addrs = await this.dump(() => this.dumpSock.getAddresses({ family: this.af }, undefined, TIMEOUT));
    const out: InterfaceAddress[] = [];
    for (const a of addrs) {
      const ip = bufIP(a.attrs.local ?? a.attrs.address, this.family);
      const dev = a.data.index === undefined ? undefined : await this.nameOf(a.data.index);
      if (ip && dev) out.push({ dev, ip, ...(a.attrs.label ? { label: a.attrs.label } : {}), ...(this.ours6(a) ? { ours: true } : {}) });
    }
    return out;
  }

  /** An IPv6 egress address of ours: a global /128 added nodad (IPv6 addresses carry no label). */
  private ours6(a: { data: { prefixlen?: number; scope?: number; flags?: { nodad?: boolean } }; attrs: { flags?: { nodad?: boolean } } }): boolean {
    return this.family === 6 && a.data.prefixlen === 128 && (a.data.scope ?? 0) === 0 && !!(a.attrs.flags?.nodad ?? a.data.flags?.nodad);
  }

  private async listAddresses(dev: string): Promise<OwnedAddress[]> {
    const index = await this.indexOf(dev).catch(() => undefined);
    if (index === undefined) return [];
    const addrs = await this.dump(() => this.dumpSock.getAddresses({ family: this.af }, undefined, TIMEOUT));
    const label = this.addressLabel(dev);
    const out: OwnedAddress[] = [];
    for (const a of addrs) {
      if (a.data.index !== index || a.data.prefixlen !== this.hostLen || (this.family === 6 && (a.data.scope ?? 0) !== 0)) continue;
      const ip = bufIP(a.attrs.local ?? a.attrs.address, this.family);
      const owned = this.family === 6 ? this.ours6(a) : label !== undefined && a.attrs.label === label;
      if (ip) out.push({ ip, dev, owned });
    }
    return out;
  }

  private async addAddresses(dev: string, ips: readonly string[]): Promise<string[]> {
    const index = await this.indexOf(dev);
    const label = this.addressLabel(dev);
    const added: string[] = [];
    await windowed(ips, (ip) =>
      this.sock.newAddress({ family: this.af, prefixlen: this.hostLen, index, scope: 0, ...(this.family === 6 ? { flags: { nodad: true } } : {}) },
        { local: ipBuf(ip), address: ipBuf(ip), ...(label ? { label } : {}) },
        { ...TIMEOUT, flags: NLM_F_CREATE | NLM_F_EXCL })
        .then(() => { added.push(ip); })
        .catch(ignoring([EEXIST]))
        .catch((e: Error) => { throw new Error(`address add ${ip}/${this.hostLen} dev ${dev}: ${e.message}`); }));
    return added;
  }

  private async delAddresses(dev: string, ips: readonly string[]): Promise<void> {
    const index = await this.indexOf(dev).catch(() => undefined);
    if (index === undefined) return;
    await windowed(ips, (ip) =>
      this.sock.delAddress({ family: this.af, prefixlen: this.hostLen, index }, { local: ipBuf(ip), address: ipBuf(ip) }, TIMEOUT)
        .catch(ignoring([EADDRNOTAVAIL, ENOENT, ESRCH])));
  }
}
