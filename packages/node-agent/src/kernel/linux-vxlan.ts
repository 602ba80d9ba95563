// The VXLAN device, its permanent neighbours and fdb entries through `ip`/`bridge` in batch mode:
// at most a few processes per apply, whatever the number of peers. One class for both families'
// tunnels (render/vxlan.ts): the underlay family follows `local`, and the IPv6 state's device (inner
// IPv6, `inner: 6`) needs neither the node IP on it nor rp_filter (IPv6 has none).
import { execa } from 'execa';
import { canonicalIP } from '@static-egress/crds';
import { readFile, writeFile } from 'node:fs/promises';
import type { VxlanDeviceIntent, VxlanIntent } from '../render/types.js';
import { vxlanOverhead } from '../render/vxlan.js';
import type { Kernel, VxlanManager } from './interfaces.js';

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await execa(cmd, args, { input, reject: false });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(0, 5).join('; ')}`);
  return String(r.stdout);
}

interface IpLinkJSON {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string; local6?: string; link?: string } };
}

/** `ip`/`bridge` print IPv6 as inet_ntop does; compared canonically (the one IP module). */
const canon = (ip: string) => canonicalIP(ip) ?? ip;

const sameDevice = (a: VxlanDeviceIntent, b: VxlanDeviceIntent) =>
  a.name === b.name && a.vni === b.vni && a.port === b.port && a.local === b.local && a.uplink === b.uplink && a.mac === b.mac;

export class LinuxVxlan implements VxlanManager {
  /** rp_filter setter (netlink, works with a read-only /proc/sys); falls back to /proc/sys. */
  constructor(
    private readonly setRpFilter?: (dev: string, value: number) => Promise<void>,
    /** the inner family of the devices this instance manages (the IPv6 state's: 6) */
    private readonly inner: 4 | 6 = 4,
  ) {}

  /** MTU = uplink MTU − the outer headers (render/vxlan.ts: 50 over IPv4, 70 over IPv6). */
  private async mtuFor(uplink: string, local: string): Promise<number> {
    const text = await readFile(`/sys/class/net/${uplink}/mtu`, 'utf8').catch(() => '1500');
    return Number(text.trim()) - vxlanOverhead(local);
  }

  /** The inner IPv4 tunnel's extras: loose rp_filter and the node IP as a /32 on the device. */
  private async ipv4Extras(name: string, local: string): Promise<boolean> {
    if (this.inner === 6) return true;
    const rp = (await readFile(`/proc/sys/net/ipv4/conf/${name}/rp_filter`, 'utf8').catch(() => '')).trim();
    const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name]) || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
    return rp === '2' && addrs.some((a) => a.addr_info?.some((i) => i.local === local && i.prefixlen === 32));
  }

  async read(name: string): Promise<VxlanIntent> {
    const empty: VxlanIntent = { device: null, neighbors: [], fdb: [] };
    const r = await execa('ip', ['-j', '-d', 'link', 'show', 'dev', name], { reject: false });
    if (r.exitCode !== 0) return empty;
    const link = (JSON.parse(String(r.stdout)) as IpLinkJSON[])[0];
    const info = link?.linkinfo?.info_data;
    if (!link || link.linkinfo?.info_kind !== 'vxlan' || !info) return empty;
    const up = link.flags?.includes('UP') ?? false;
    const uplink = info.link ?? '';
    const local = canon(info.local ?? info.local6 ?? '');
    const mtuOK = link.mtu === (await this.mtuFor(uplink, local));
    const extrasOK = await this.ipv4Extras(name, local);
    const device: VxlanDeviceIntent = {
      name, vni: info.id ?? -1, port: info.port ?? -1, local, uplink,
      // a down device, a wrong MTU, rp_filter or address shows up as a different MAC so the diff fixes it
      mac: up && mtuOK && extrasOK ? (link.address ?? '') : 'needs-fix',
      ...(this.inner === 6 ? { inner: 6 as const } : {}),
    };
    const neigh = JSON.parse(await run('ip', ['-j', 'neigh', 'show', 'dev', name, 'nud', 'permanent']) || '[]') as { dst: string; lladdr?: string }[];
    const fdb = JSON.parse(await run('bridge', ['-j', 'fdb', 'show', 'dev', name]) || '[]') as { mac: string; dst?: string; viaIf?: string }[];
    return {
      device,
      neighbors: neigh.filter((n) => n.lladdr).map((n) => ({ ip: canon(n.dst), mac: n.lladdr! })),
      fdb: fdb.filter((f) => f.dst && f.mac !== '00:00:00:00:00:00').map((f) => ({ mac: f.mac, dst: canon(f.dst!), via: f.viaIf ?? '' })),
    };
  }

  async addMissing(want: VxlanIntent, have: VxlanIntent): Promise<void> {
    const d = want.device;
    if (!d) return;
    const ip: string[] = [];
    if (!have.device || !sameDevice(d, have.device)) {
      if (have.device) ip.push(`link del ${d.name}`);
      ip.push(`link add ${d.name} address ${d.mac} type vxlan id ${d.vni} dstport ${d.port} local ${d.local} dev ${d.uplink} nolearning`);
      ip.push(`link set ${d.name} mtu ${await this.mtuFor(d.uplink, d.local)} up`);
      // Loose rp_filter fails on a device without an IPv4 address (fib_validate_source: no_addr →
      // drop), so the tunnel carries the node IP as a /32; the kernel shares the local route.
      if (this.inner === 4) ip.push(`address add ${d.local}/32 dev ${d.name} noprefixroute`);
      have = { device: null, neighbors: [], fdb: [] };
    }
    const haveN = new Set(have.neighbors.map((n) => `${n.ip}|${n.mac}`));
    for (const n of want.neighbors) if (!haveN.has(`${n.ip}|${n.mac}`)) ip.push(`neigh replace ${n.ip} lladdr ${n.mac} dev ${d.name} nud permanent`);
    if (ip.length) await run('ip', ['-batch', '-'], `${ip.join('\n')}\n`);
    // rp_filter=2: decapsulated packets come from pod IPs routed elsewhere.
    if (this.inner === 4) {
      if (this.setRpFilter) await this.setRpFilter(d.name, 2);
      else await writeFile(`/proc/sys/net/ipv4/conf/${d.name}/rp_filter`, '2');
    }
    const haveF = new Set(have.fdb.map((f) => `${f.mac}|${f.dst}|${f.via}`));
    // `via <uplink>`: without it the outer packet inherits the fwmark and loops into the tunnel.
    const br = want.fdb.filter((f) => !haveF.has(`${f.mac}|${f.dst}|${f.via}`))
      .map((f) => `fdb replace ${f.mac} dev ${d.name} dst ${f.dst} via ${f.via} self permanent`);
    if (br.length) await run('bridge', ['-batch', '-'], `${br.join('\n')}\n`);
  }

  async removeStale(want: VxlanIntent, have: VxlanIntent, name: string): Promise<void> {
    if (!want.device) {
      if (have.device) await run('ip', ['link', 'del', name]);
      return;
    }
    // neighbours are keyed by IP: one replaced in addMissing is not stale
    const wantN = new Set(want.neighbors.map((n) => n.ip));
    const ip = have.neighbors.filter((n) => !wantN.has(n.ip)).map((n) => `neigh del ${n.ip} dev ${name}`);
    // fdb entries are matched with their `via`: a delete without it silently matches nothing
    const wantF = new Set(want.fdb.map((f) => `${f.mac}|${f.dst}|${f.via}`));
    const replaced = new Set(want.fdb.map((f) => `${f.mac}|${f.dst}`)); // `fdb replace` already rewrote these
    const br = have.fdb.filter((f) => !wantF.has(`${f.mac}|${f.dst}|${f.via}`) && !replaced.has(`${f.mac}|${f.dst}`))
      .map((f) => `fdb del ${f.mac} dev ${name} dst ${f.dst}${f.via ? ` via ${f.via}` : ''} self`);
    if (ip.length) await run('ip', ['-force', '-batch', '-'], `${ip.join('\n')}\n`);
    if (br.length) await run('bridge', ['-force', '-batch', '-'], `${br.join('\n')}\n`);
  }
}

/** The IPv6 state's capabilities with its tunnel (render/vxlan.ts: `segress.vx6`, inner IPv6). */
export function withIPv6Tunnel<K extends Kernel>(kernel6: K): K {
  return { ...kernel6, vxlan: new LinuxVxlan(undefined, 6) };
}
