// The IPv6 appliers (issue 11) in real network namespaces: the rendered IPv6 state (ip6tables, inet6
// sets, IPv6 rules and routes, the ip6 guard) loads in one restore each and reads back as rendered;
// egress addresses are added `nodad` (never tentative) and recognised as ours; the NA lease lets an
// unsolicited neighbour advertisement out only while the IP is leased, and that NA moves a
// neighbour's cache entry to this node. Needs root, iproute2, iptables (ip6tables), ipset, nftables,
// python3 (the raw ICMPv6 socket of the NA sender).
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { computeFamilyStates } from '../../src/desired/family.js';
import { dualStackInput } from '../../src/desired/fixtures.js';
import {
  type Exec, LinuxIp6Addresses, LinuxIp6Routes, LinuxIp6Rules, LinuxIp6tables, LinuxLease6Table, linkMAC, sendUnsolicitedNA,
} from '../../src/kernel/linux-ip6.js';
import { renderIpsetRestore } from '../../src/plan/ipset.js';
import { renderIptablesRestore } from '../../src/plan/iptables.js';
import { ipv6RenderConfig } from '../../src/render/family.js';
import { leaseNames } from '../../src/render/lease.js';
import { setNames } from '../../src/render/names.js';
import { emptyParsedIptables, parseIpsetSave, parseIptablesSave } from '../../src/render/parse.js';
import { renderState } from '../../src/render/state.js';
import type { RenderConfig } from '../../src/render/types.js';
import { deleteNamespaces, nsExec, runPrefix } from './netns.js';

const EGRESS = '2001:db8:0:2::102';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IPv6 appliers (real namespaces)', function () {
  this.timeout(60_000);
  const prefix = runPrefix();
  const gw = `${prefix}-gw`;
  const peer = `${prefix}-peer`;
  const uplink = `${prefix}g`;
  const inNs = (ns: string): Exec => async (cmd, args, input) => {
    const r = await execa('ip', ['netns', 'exec', ns, cmd, ...args], { input, reject: false, stripFinalNewline: false });
    return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr || r.stdout).trim().split('\n')[0] ?? '' };
  };
  const cfg: RenderConfig = ipv6RenderConfig({ chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink, vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 });
  const rendered = renderState(computeFamilyStates(dualStackInput()).v6!, cfg);

  before(async () => {
    await execa('ip', ['netns', 'add', gw]);
    await execa('ip', ['netns', 'add', peer]);
    await execa('ip', ['-n', gw, 'link', 'add', uplink, 'type', 'veth', 'peer', 'name', `${prefix}p`, 'netns', peer]);
    // accept_dad=0 on the lab links only: the link-local address is usable at once (the NA's socket needs one)
    await nsExec(gw, `sysctl -qw net.ipv6.conf.${uplink}.accept_dad=0; ip -6 addr add 2001:db8:0:2::11/64 dev ${uplink}; ip link set ${uplink} up; ip link set lo up`);
    await nsExec(peer, `sysctl -qw net.ipv6.conf.${prefix}p.accept_dad=0; ip -6 addr add 2001:db8:0:2::1/64 dev ${prefix}p; ip link set ${prefix}p up`);
  });
  after(() => deleteNamespaces(prefix));

  it('ip6tables and inet6 sets: one restore each, read back exactly as rendered', async () => {
    const run = inNs(gw);
    await run('ipset', ['restore'], renderIpsetRestore(rendered.ipsets, new Map(), setNames(cfg).temp)).then((r) => assert.ok(r.ok, r.err));
    const ipt = new LinuxIp6tables(run);
    await ipt.restore(renderIptablesRestore(rendered.iptables, rendered.jumps, emptyParsedIptables(), 'SEGRESS').text);
    const saved = parseIptablesSave(await ipt.save(), 'SEGRESS');
    for (const table of ['mangle', 'nat', 'filter'] as const) {
      assert.deepEqual(Object.fromEntries(saved[table].chains), Object.fromEntries(rendered.iptables[table]), table);
    }
    const sets = parseIpsetSave((await run('ipset', ['save'])).out, cfg.ipsetPrefix);
    assert.deepEqual([...sets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), rendered.ipsets);
    assert.equal(parseIpsetSave((await run('ipset', ['save'])).out, 'segress').size, 0, 'the IPv4 state never reads the IPv6 sets');
  });

  it('the ip6 guard loads whole in one nft batch', async () => {
    const r = await inNs(gw)('nft', ['-f', '-'], rendered.guard!.text);
    assert.ok(r.ok, r.err);
    const listed = (await inNs(gw)('nft', ['list', 'table', 'ip6', rendered.guard!.table])).out;
    assert.match(listed, /rt ip6 nexthop != 2001:db8:0:2::100 drop/);
  });

  it('IPv6 fwmark rules and routes in our ranges: added, read back, removed', async () => {
    const rules = new LinuxIp6Rules(inNs(gw));
    const routes = new LinuxIp6Routes(inNs(gw));
    const extra = { table: 5040, type: 'unreachable' as const, onlink: false };
    await rules.add(rendered.rules);
    await rules.add(rendered.rules); // idempotent
    await routes.replace([...rendered.routes, extra]);
    assert.deepEqual(await rules.list(5000, 5999), rendered.rules);
    assert.deepEqual(await routes.list(5000, 5999), [...rendered.routes, extra]);
    await rules.del(rendered.rules);
    await routes.del([...rendered.routes, extra]);
    assert.deepEqual([await rules.list(5000, 5999), await routes.list(5000, 5999)], [[], []]);
  });

  it('an egress address is added nodad: never tentative, ours, added once', async () => {
    const addrs = new LinuxIp6Addresses(inNs(gw));
    assert.deepEqual(await addrs.add(uplink, [EGRESS]), [EGRESS]);
    assert.deepEqual(await addrs.add(uplink, [EGRESS]), []);
    assert.doesNotMatch(await nsExec(gw, `ip -6 addr show dev ${uplink}`), /tentative/);
    assert.deepEqual(await addrs.list(uplink), [{ ip: EGRESS, dev: uplink, owned: true }]);
  });

  it('NA lease: an unsolicited NA leaves only while leased, and moves the neighbour\'s entry here', async () => {
    const lease = new LinuxLease6Table(leaseNames(`${cfg.ipsetPrefix}`), inNs(gw));
    await lease.ensure([EGRESS]);
    assert.deepEqual(await lease.read(), { guard: true, owned: new Set([EGRESS]), leased: new Set() });
    const mac = await linkMAC(uplink, inNs(gw));
    const neigh = async () => (await nsExec(peer, `ip -6 neigh show ${EGRESS} dev ${prefix}p`)).trim();
    await nsExec(peer, `ip -6 neigh replace ${EGRESS} lladdr 02:00:00:00:00:99 dev ${prefix}p nud stale`);
    await assert.rejects(sendUnsolicitedNA(uplink, EGRESS, mac, inNs(gw)), /Operation not permitted|failed/);
    assert.match(await neigh(), /lladdr 02:00:00:00:00:99/);
    await lease.claim([EGRESS], 30_000);
    assert.deepEqual((await lease.read()).leased, new Set([EGRESS]));
    // repeated like the agent's announcements (LinuxUnsolicitedNA: several, spaced), until the entry moves
    for (let i = 0; i < 5 && !(await neigh()).includes(mac); i++) {
      await sendUnsolicitedNA(uplink, EGRESS, mac, inNs(gw));
      for (let k = 0; k < 10 && !(await neigh()).includes(mac); k++) await sleep(20);
    }
    assert.match(await neigh(), new RegExp(`lladdr ${mac}`));
    await lease.end([EGRESS]);
    assert.deepEqual((await lease.read()).leased, new Set());
    await lease.remove();
    assert.equal((await lease.read()).guard, false);
  });
});
