// The IPv6 appliers (issue 11) in real network namespaces: the rendered IPv6 state (ip6tables, inet6
// sets, the ip6 guard) loads in one restore each and reads back as rendered; IPv6 rules, routes and
// egress addresses go over rtnetlink (LinuxNetlink, family 6) and read back as written — addresses
// `nodad` (never tentative) and recognised as ours, a host's own address not; the NA lease (over an
// `nft -i` session) lets an unsolicited neighbour advertisement out of the long-lived sender only
// while the IP is leased, and that NA moves a neighbour's cache entry to this node; the sender
// survives a refused NA and a killed process. Needs root, iproute2, iptables (ip6tables), ipset,
// nftables, python3 (the raw ICMPv6 socket of the NA sender).
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { computeFamilyStates } from '../../src/desired/family.js';
import { dualStackInput } from '../../src/desired/fixtures.js';
import { type Exec, LinuxIp6tables } from '../../src/kernel/linux-ip6.js';
import { LinuxLeaseTable, NA_LEASE, type NftRunner } from '../../src/kernel/linux-lease.js';
import { NaSession } from '../../src/kernel/na-session.js';
import { NftSession } from '../../src/kernel/nft-session.js';
import { renderUnsolicitedNA } from '../../src/render/na.js';
import { renderIpsetRestore } from '../../src/plan/ipset.js';
import { renderIptablesRestore } from '../../src/plan/iptables.js';
import { ipv6RenderConfig } from '../../src/render/family.js';
import { leaseNames } from '../../src/render/lease.js';
import { setNames } from '../../src/render/names.js';
import { emptyParsedIptables, parseIpsetSave, parseIptablesSave } from '../../src/render/parse.js';
import { renderState } from '../../src/render/state.js';
import type { RenderConfig } from '../../src/render/types.js';
import { devicesWithOurAddresses } from '../../src/agent/cleanup.js';
import { NetlinkInNs } from './netlink-client.js';
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
  let nl: NetlinkInNs;
  const nft = new NftSession({ command: ['ip', 'netns', 'exec', gw, 'nft', '-i'] });
  const na = new NaSession({ command: ['ip', 'netns', 'exec', gw, 'python3', '-u', '-c'] });
  before(() => { nl = new NetlinkInNs(gw, 6); });
  after(async () => {
    nl?.close();
    nft.close();
    na.close();
    await deleteNamespaces(prefix);
  });

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

  it('inet6 set members in place over netfilter netlink: added, deleted, present/absent no error', async () => {
    const set = rendered.ipsets.find((x) => x.members.length)!;
    const extra = ['2001:db8:0:7001::99', '2001:db8:0:7001::9a'];
    await nl.members.apply([{ set: set.name, add: [...extra, set.members[0]!], del: [] }]);
    const members = async () => parseIpsetSave((await inNs(gw)('ipset', ['save', set.name])).out, cfg.ipsetPrefix).get(set.name)!.members;
    assert.deepEqual([...await members()].sort(), [...set.members, ...extra].sort());
    await nl.members.apply([{ set: set.name, add: [], del: [extra[0]!, '2001:db8:0:7001::77'] }]);
    assert.deepEqual([...await members()].sort(), [...set.members, extra[1]!].sort());
  });

  it('the ip6 guard loads whole in one nft batch', async () => {
    const r = await inNs(gw)('nft', ['-f', '-'], rendered.guard!.text);
    assert.ok(r.ok, r.err);
    const listed = (await inNs(gw)('nft', ['list', 'table', 'ip6', rendered.guard!.table])).out;
    assert.match(listed, /rt ip6 nexthop != 2001:db8:0:2::100 drop/);
  });

  it('IPv6 fwmark rules and routes in our ranges over rtnetlink: added, read back, replaced, removed', async () => {
    const { rules, routes } = nl;
    const extra = { table: 5040, type: 'unreachable' as const, onlink: false };
    await rules.add(rendered.rules);
    await rules.add(rendered.rules); // idempotent
    await routes.replace([...rendered.routes, extra]);
    assert.deepEqual(sortBy(await rules.list(5000, 5999), JSON.stringify), sortBy(rendered.rules, JSON.stringify));
    assert.deepEqual(sortBy(await routes.list(5000, 5999), JSON.stringify), sortBy([...rendered.routes, extra], JSON.stringify));
    // what `ip -6` sees is what was meant (not only what our own reader makes of it)
    const shown = await nsExec(gw, 'ip -6 rule show; ip -6 route show table all');
    for (const r of rendered.rules) assert.match(shown, new RegExp(`^${r.priority}:\\s+from all fwmark 0x${r.fwmark.toString(16)}/0x${r.fwmask.toString(16)} lookup ${r.table}`, 'm'));
    assert.match(shown, /unreachable default dev lo table 5040/);
    // replace moves a table's default route in place (a director's route to a new gateway)
    const moved = { ...extra, type: 'unicast' as const, gateway: '2001:db8:0:2::1', dev: uplink, onlink: true };
    await routes.replace([moved]);
    assert.deepEqual((await routes.list(5040, 5040)), [moved]);
    await routes.replace([extra]);
    await rules.del(rendered.rules);
    await routes.del([...rendered.routes, extra]);
    assert.deepEqual([await rules.list(5000, 5999), await routes.list(5000, 5999)], [[], []]);
  });

  it('an egress address is added nodad over rtnetlink: never tentative, ours, added once; a host /128 is not ours', async () => {
    const addrs = nl.addresses;
    await nsExec(gw, `ip -6 addr add 2001:db8:0:2::77/128 dev ${uplink}`); // a host's own: through DAD
    assert.deepEqual(await addrs.add(uplink, [EGRESS]), [EGRESS]);
    assert.deepEqual(await addrs.add(uplink, [EGRESS]), []);
    assert.match(await nsExec(gw, `ip -6 addr show dev ${uplink}`), new RegExp(`inet6 ${EGRESS}/128 scope global nodad`));
    assert.doesNotMatch(await nsExec(gw, `ip -6 addr show dev ${uplink} to ${EGRESS}`), /tentative/);
    assert.deepEqual(sortBy(await addrs.list(uplink), (a) => a.ip), [
      { ip: EGRESS, dev: uplink, owned: true }, { ip: '2001:db8:0:2::77', dev: uplink, owned: false },
    ]);
    // --cleanup on an IPv6-only node finds the uplink by its nodad /128s (the host's /128 is not ours)
    const host = await nl.interfaceAddresses();
    assert.deepEqual(host.filter((a) => a.ours).map((a) => a.ip), [EGRESS]);
    assert.deepEqual(devicesWithOurAddresses(host), [uplink]);
    await addrs.del(uplink, ['2001:db8:0:2::77']);
    await addrs.del(uplink, ['2001:db8:0:2::77']); // absent: no error
    assert.deepEqual(await addrs.list(uplink), [{ ip: EGRESS, dev: uplink, owned: true }]);
  });

  it('NA lease: an unsolicited NA leaves only while leased, and moves the neighbour\'s entry here', async () => {
    const nftIn: NftRunner = async (args, input) => {
      const r = await inNs(gw)('nft', args, input);
      return { exitCode: r.ok ? 0 : 1, stdout: r.out, stderr: r.err };
    };
    const lease = new LinuxLeaseTable(leaseNames(`${cfg.ipsetPrefix}`), nftIn, nft, NA_LEASE);
    await lease.ensure([EGRESS]);
    assert.deepEqual(await lease.read(), { guard: true, owned: new Set([EGRESS]), leased: new Set() });
    const mac = await nl.linkMAC(uplink);
    assert.match(await nsExec(gw, `ip link show dev ${uplink}`), new RegExp(`link/ether ${mac} `));
    const send = () => na.send(uplink, EGRESS, renderUnsolicitedNA(EGRESS, mac));
    const neigh = async () => (await nsExec(peer, `ip -6 neigh show ${EGRESS} dev ${prefix}p`)).trim();
    await nsExec(peer, `ip -6 neigh replace ${EGRESS} lladdr 02:00:00:00:00:99 dev ${prefix}p nud stale`);
    await assert.rejects(send(), /Operation not permitted/);
    assert.match(await neigh(), /lladdr 02:00:00:00:00:99/);
    await lease.claim([EGRESS], 30_000);
    assert.deepEqual((await lease.read()).leased, new Set([EGRESS]));
    // repeated like the agent's announcements (LinuxUnsolicitedNA: several, spaced), until the entry moves
    for (let i = 0; i < 5 && !(await neigh()).includes(mac); i++) {
      await send();
      for (let k = 0; k < 10 && !(await neigh()).includes(mac); k++) await sleep(20);
    }
    assert.match(await neigh(), new RegExp(`lladdr ${mac}`));
    await lease.end([EGRESS]);
    assert.deepEqual((await lease.read()).leased, new Set());
    await assert.rejects(send(), /Operation not permitted/, 'no NA once the lease ended');
    await lease.remove();
    assert.equal((await lease.read()).guard, false);
  });

  it('the NA sender: one process for many NAs; a killed one is replaced by the next NA', async () => {
    const mac = await nl.linkMAC(uplink);
    const pid = async () => (await execa('pgrep', ['-f', '-n', 'for line in sys.stdin'], { reject: false })).stdout.trim();
    await na.send(uplink, '2001:db8:0:2::11', renderUnsolicitedNA('2001:db8:0:2::11', mac)); // the node's own address: not guarded
    const first = await pid();
    for (let i = 0; i < 20; i++) await na.send(uplink, '2001:db8:0:2::11', renderUnsolicitedNA('2001:db8:0:2::11', mac));
    assert.equal(await pid(), first, 'the same process sent them all');
    await assert.rejects(na.send('nosuchdev0', '2001:db8:0:2::11', renderUnsolicitedNA('2001:db8:0:2::11', mac)), /unsolicited NA failed/);
    await execa('kill', ['-9', first]);
    await sleep(100);
    await na.send(uplink, '2001:db8:0:2::11', renderUnsolicitedNA('2001:db8:0:2::11', mac));
    assert.notEqual(await pid(), first);
  });

  it('the NA sender warmed: running before the first NA, started again after it dies, gone when closed', async () => {
    const warm = new NaSession({ command: ['ip', 'netns', 'exec', gw, 'python3', '-u', '-B', '-c'] });
    const pid = async () => (await execa('pgrep', ['-f', '-n', '--', '-u -B -c import socket'], { reject: false })).stdout.trim();
    const until = async (what: string, ok: (p: string) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const p = await pid();
        if (ok(p)) return p;
        await sleep(100);
      }
      throw new Error(`the NA sender: ${what}`);
    };
    try {
      assert.equal(await pid(), '', 'not started before warm()');
      warm.warm();
      const first = await until('not started by warm()', (p) => p !== '');
      await execa('kill', ['-9', first]);
      await until('not started again after it died', (p) => p !== '' && p !== first);
      const mac = await nl.linkMAC(uplink);
      await warm.send(uplink, '2001:db8:0:2::11', renderUnsolicitedNA('2001:db8:0:2::11', mac));
    } finally {
      warm.close();
    }
    await until('still running after close()', (p) => p === '');
  });
});

function sortBy<T>(xs: readonly T[], key: (x: T) => string): T[] {
  return [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
