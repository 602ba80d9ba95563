// In-memory kernel with real state and the kernel's refusals that matter to ordering: iptables
// rules cannot reference a missing set, a referenced set cannot be destroyed, a referenced chain
// cannot be deleted, `-D` of a missing rule fails, an iptables transaction applies all or nothing.
import type { RouteIntent, RuleIntent, VxlanIntent } from '../render/types.js';
import type { AddressManager, GarpSender, GuardTable, IpsetMembers, IpsetRestorer, MemberChange, IptablesRestorer, Kernel, OwnedAddress, RouteTable, RuleTable, VxlanManager } from './interfaces.js';

const BUILTINS: Record<string, string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export class FakeIpset implements IpsetRestorer {
  sets = new Map<string, { type: string; family?: string; members: Set<string> }>();
  referenced: (name: string) => boolean = () => false;
  restores = 0;

  async save(): Promise<string> {
    const out: string[] = [];
    for (const [name, s] of [...this.sets].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push(`create ${name} ${s.type} family ${s.family ?? 'inet'} hashsize 1024 maxelem 1048576`);
      for (const m of [...s.members].sort()) out.push(`add ${name} ${m}`);
    }
    return out.join('\n') + (out.length ? '\n' : '');
  }

  async restore(text: string): Promise<void> {
    if (!text) return;
    this.restores++;
    // ipset restore applies line by line and stops at the first error (no rollback)
    for (const line of text.split('\n').filter((l) => l.trim())) {
      const [cmd, name, arg] = line.trim().split(/\s+/) as [string, string, string | undefined];
      const set = this.sets.get(name);
      const fail = (why: string) => { throw new Error(`ipset restore: ${line}: ${why}`); };
      switch (cmd) {
        case 'create':
          if (set) { if (!line.includes('-exist')) fail('set already exists'); break; }
          this.sets.set(name, { type: arg ?? 'hash:ip', ...(/ family inet6 /.test(line) ? { family: 'inet6' } : {}), members: new Set() });
          break;
        case 'add': if (!set) fail('no such set'); set!.members.add(arg!); break;
        case 'del': if (!set) fail('no such set'); set!.members.delete(arg!); break;
        case 'flush': if (!set) fail('no such set'); set!.members.clear(); break;
        case 'destroy':
          if (!set) fail('no such set');
          if (this.referenced(name)) fail('set is in use by a kernel component');
          this.sets.delete(name);
          break;
        case 'swap': {
          const other = this.sets.get(arg!);
          if (!set || !other) fail('no such set');
          if (set!.type !== other!.type) fail('types differ');
          this.sets.set(name, other!);
          this.sets.set(arg!, set!);
          break;
        }
        default: fail('unknown command');
      }
    }
  }
}

type Tables = Record<string, Map<string, string[]>>;

export class FakeIpsetMembers implements IpsetMembers {
  ops = 0;
  constructor(private readonly ipset: FakeIpset) {}
  async apply(changes: readonly MemberChange[]): Promise<void> {
    for (const c of changes) if (!this.ipset.sets.has(c.set)) throw new Error(`ipset: no set ${c.set}`);
    for (const c of changes) for (const ip of c.add) { this.ipset.sets.get(c.set)!.members.add(ip); this.ops++; }
    for (const c of changes) for (const ip of c.del) { this.ipset.sets.get(c.set)!.members.delete(ip); this.ops++; }
  }
}

export class FakeIptables implements IptablesRestorer {
  tables: Tables = {};
  restores = 0;
  /** Called after each table's COMMIT: like iptables-restore, each table is its own transaction. */
  onCommit?: (table: string) => void;
  constructor(private readonly ipset: FakeIpset) {
    for (const [t, chains] of Object.entries(BUILTINS)) this.tables[t] = new Map(chains.map((c) => [c, []]));
    ipset.referenced = (name) => this.references(name);
  }

  private references(set: string): boolean {
    return Object.values(this.tables).some((t) => [...t.values()].some((rules) => rules.some((r) => r.includes(`--match-set ${set} `))));
  }

  async save(opts: { counters?: boolean } = {}): Promise<string> {
    const out: string[] = [];
    for (const [t, chains] of Object.entries(this.tables)) {
      out.push(`*${t}`);
      for (const c of chains.keys()) out.push(BUILTINS[t]!.includes(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`);
      for (const rules of chains.values()) for (const r of rules) out.push(opts.counters ? `[0:0] ${r}` : r);
      out.push('COMMIT');
    }
    return `${out.join('\n')}\n`;
  }

  async restore(text: string): Promise<void> {
    if (!text) return;
    this.restores++;
    const work: Tables = Object.fromEntries(Object.entries(this.tables).map(([t, m]) => [t, new Map([...m].map(([c, r]) => [c, [...r]]))]));
    let table: Map<string, string[]> | undefined;
    let tableName = '';
    const fail = (line: string, why: string) => { throw new Error(`iptables-restore: ${line}: ${why}`); };
    for (const line of text.split('\n').filter((l) => l.trim())) {
      if (line.startsWith('*')) { tableName = line.slice(1); table = work[tableName]; if (!table) fail(line, 'no such table'); continue; }
      if (!table) fail(line, 'no table');
      const t = table!;
      if (line === 'COMMIT') {
        this.tables = { ...this.tables, [tableName]: table! };
        table = undefined;
        this.onCommit?.(tableName);
        continue;
      }
      if (line.startsWith(':')) { const c = line.slice(1).split(' ')[0]!; t.set(c, []); continue; }
      const [op, chain, ...rest] = line.split(' ');
      const rules = t.get(chain!);
      if (!rules) fail(line, 'no such chain');
      const jump = / -j (\S+)/.exec(line)?.[1];
      if ((op === '-A' || op === '-I') && jump && /^[A-Z][A-Z0-9-]*$/.test(jump) && jump.includes('-') && !t.has(jump)) fail(line, 'no such target chain');
      for (const m of line.matchAll(/--match-set (\S+) /g)) if (!this.ipset.sets.has(m[1]!)) fail(line, `set ${m[1]} does not exist`);
      switch (op) {
        case '-A': rules!.push(line); break;
        case '-I': {
          const pos = Number(rest[0]);
          rules!.splice(pos - 1, 0, `-A ${chain} ${rest.slice(1).join(' ')}`);
          break;
        }
        case '-D': {
          const want = `-A ${chain} ${rest.join(' ')}`;
          const i = rules!.indexOf(want);
          if (i < 0) fail(line, 'no such rule');
          rules!.splice(i, 1);
          break;
        }
        case '-X':
          if (rules!.length) fail(line, 'chain not empty');
          if ([...t.values()].some((rs) => rs.some((r) => r.endsWith(` -j ${chain}`)))) fail(line, 'chain in use');
          t.delete(chain!);
          break;
        case '-F': rules!.length = 0; break;
        default: fail(line, 'unknown op');
      }
    }
  }
}

export class FakeRuleTable implements RuleTable {
  rules: RuleIntent[] = [];
  async list(min: number, max: number) { return this.rules.filter((r) => r.priority >= min && r.priority <= max).map((r) => ({ ...r })); }
  async add(rules: readonly RuleIntent[]) {
    for (const r of rules) if (!this.rules.some((x) => sameRule(x, r))) this.rules.push({ ...r });
  }
  async del(rules: readonly RuleIntent[]) { this.rules = this.rules.filter((x) => !rules.some((r) => sameRule(x, r))); }
}
const sameRule = (a: RuleIntent, b: RuleIntent) => a.priority === b.priority && a.fwmark === b.fwmark && a.fwmask === b.fwmask && a.table === b.table;

export class FakeRouteTable implements RouteTable {
  routes: RouteIntent[] = [];
  devices = new Set<string>();
  /** this host's addresses: like the kernel, a gateway that is one of them is refused */
  localAddresses: () => Iterable<string> = () => [];
  async list(min: number, max: number) { return this.routes.filter((r) => r.table >= min && r.table <= max).map((r) => ({ ...r })); }
  async replace(routes: readonly RouteIntent[]) {
    for (const r of routes) {
      if (r.dev && !this.devices.has(r.dev)) throw new Error(`no such device ${r.dev}`);
      if (r.gateway && [...this.localAddresses()].includes(r.gateway)) throw new Error(`route via ${r.gateway}: Nexthop has invalid gateway`);
      this.routes = this.routes.filter((x) => !(x.table === r.table && !x.dst && !x.metric));
      this.routes.push({ ...r });
    }
  }
  async del(routes: readonly RouteIntent[]) {
    this.routes = this.routes.filter((x) => !routes.some((r) => r.table === x.table && r.dst === x.dst && r.metric === x.metric));
  }
}

export class FakeAddressManager implements AddressManager {
  addrs: OwnedAddress[] = [];
  async list(dev: string) { return this.addrs.filter((a) => a.dev === dev).map((a) => ({ ...a })); }
  async add(dev: string, ips: readonly string[]) {
    const added: string[] = [];
    for (const ip of ips) if (!this.addrs.some((a) => a.dev === dev && a.ip === ip)) { this.addrs.push({ ip, dev, owned: true }); added.push(ip); }
    return added;
  }
  async del(dev: string, ips: readonly string[]) { this.addrs = this.addrs.filter((a) => !(a.dev === dev && ips.includes(a.ip))); }
}

export class FakeVxlan implements VxlanManager {
  state: VxlanIntent = { device: null, neighbors: [], fdb: [] };
  constructor(private readonly routes?: FakeRouteTable) {}
  async read(): Promise<VxlanIntent> { return structuredClone(this.state); }
  async addMissing(want: VxlanIntent): Promise<void> {
    if (!want.device) return;
    const keepN = this.state.neighbors.filter((n) => !want.neighbors.some((w) => w.ip === n.ip));
    const keepF = this.state.fdb.filter((f) => !want.fdb.some((w) => w.mac === f.mac && w.dst === f.dst && w.via === f.via));
    this.state = { device: { ...want.device }, neighbors: [...keepN, ...want.neighbors.map((n) => ({ ...n }))], fdb: [...keepF, ...want.fdb.map((f) => ({ ...f }))] };
    this.routes?.devices.add(want.device.name);
  }
  async removeStale(want: VxlanIntent): Promise<void> {
    if (!want.device) {
      if (this.state.device) this.routes?.devices.delete(this.state.device.name);
      this.state = { device: null, neighbors: [], fdb: [] };
      return;
    }
    this.state.neighbors = this.state.neighbors.filter((n) => want.neighbors.some((w) => w.ip === n.ip));
    this.state.fdb = this.state.fdb.filter((f) => want.fdb.some((w) => w.mac === f.mac && w.dst === f.dst && w.via === f.via));
  }
}

export class FakeGarp implements GarpSender {
  sent: { dev: string; ip: string }[] = [];
  announce(dev: string, ip: string) { this.sent.push({ dev, ip }); }
}

/** The guard table as `nft` would hold it: the hash comment and the rules of the last batch. */
export class FakeGuardTable implements GuardTable {
  state: { hash: string; rules: number } | null = null;
  async read() { return this.state && { ...this.state }; }
  async apply(text: string) {
    const hash = /comment "([^"]*)"/.exec(text)?.[1] ?? '';
    this.state = { hash, rules: text.split('\n').filter((l) => l.startsWith('add rule ') && !l.includes(' comment ')).length };
  }
  async remove() { this.state = null; }
}

export interface FakeKernel extends Kernel {
  ipset: FakeIpset; ipsetMembers: FakeIpsetMembers; iptables: FakeIptables; rules: FakeRuleTable; routes: FakeRouteTable;
  addresses: FakeAddressManager; vxlan: FakeVxlan; garp: FakeGarp; guard: FakeGuardTable;
}

export function createFakeKernel(devices: string[] = ['eth0']): FakeKernel {
  const ipset = new FakeIpset();
  const routes = new FakeRouteTable();
  for (const d of devices) routes.devices.add(d);
  const addresses = new FakeAddressManager();
  routes.localAddresses = () => addresses.addrs.map((a) => a.ip);
  return {
    ipset, ipsetMembers: new FakeIpsetMembers(ipset), iptables: new FakeIptables(ipset), rules: new FakeRuleTable(), routes,
    addresses, vxlan: new FakeVxlan(routes), garp: new FakeGarp(), guard: new FakeGuardTable(),
  };
}
