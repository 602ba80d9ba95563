// Damage to the IPv6 state (issue 11): the IPv6 applier (apply-cli --family 6: createLinuxKernel6,
// the IPv6 render config) heals by kernel events like the agent with the IPv6 state running
// (reconcile/damage-watch.ts with `ipv6` names): an IPv6 rule deleted, a route table flushed, the
// egress /128 deleted, an ip6tables table flushed, the ip6 guard deleted, inet6 set members removed
// — each is reported healed by an event-driven full sync (nobody calls sync after the damage) and
// the namespace reads back as it was before. First, the claim's unsolicited NA (createLinuxKernel6 as
// a whole: lease-free apply, the long-lived sender) moves a LAN neighbour's stale entry to this node.
// Needs root, iproute2, ip6tables, ipset, nftables, python3.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { computeFamilyStates } from '../../src/desired/family.js';
import { dualStackInput } from '../../src/desired/fixtures.js';
import { deleteNamespaces, nsExec, runPrefix } from './netns.js';
import { Applier } from './topology.js';

const EGRESS = '2001:db8:0:2::102'; // n1 is its gateway in the fixture
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ours = (what: string) => `$(ip -6 rule | awk -F'[: \\t]+' '$1>=5000 && $1<=5999 {print ${what}}')`;

describe('kernel damage to the IPv6 state, healed by events (issue 11)', function () {
  this.timeout(120_000);
  const prefix = runPrefix();
  const ns = `${prefix}-n1`;
  const uplink = 'eth0';
  const state = computeFamilyStates(dualStackInput()).v6!;
  let applier: Applier | undefined;

  /** What the IPv6 state is in the kernel, counters and generation-dependent handles left out. */
  const dump = () => nsExec(ns, [
    'ip -6 rule', 'ip -6 route show table all | grep -v "table local"', `ip -6 -o addr show dev ${uplink} | sed "s/\\\\\\\\.*//"`,
    'ip6tables-save | grep -v "^#" | sed "s/\\[[0-9]*:[0-9]*\\]//"', 'nft list table ip6 segress6_guard', 'ipset save | grep segress6',
  ].map((c) => `${c} || true`).join('; echo ---; '));

  before(async () => {
    await execa('ip', ['netns', 'add', ns]);
    await execa('ip', ['netns', 'add', `${prefix}-lan`]);
    await execa('ip', ['-n', ns, 'link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'p1', 'netns', `${prefix}-lan`]);
    await nsExec(ns, `ip link set lo up; sysctl -qw net.ipv6.conf.${uplink}.accept_dad=0; ip -6 addr add 2001:db8:0:2::11/64 dev ${uplink} nodad; ip link set ${uplink} up`);
    // a LAN neighbour that still has the egress IP at another MAC (where the IP was before)
    await nsExec(`${prefix}-lan`, `sysctl -qw net.ipv6.conf.p1.accept_dad=0; ip -6 addr add 2001:db8:0:2::1/64 dev p1 nodad; ip link set p1 up;
      ip -6 neigh replace ${EGRESS} lladdr 02:00:00:00:00:99 dev p1 nud stale`);
    applier = new Applier(ns, ['--uplink', uplink, '--family', '6']);
    await applier.sync(state);
    assert.match(await nsExec(ns, `ip -6 addr show dev ${uplink}`), new RegExp(`${EGRESS}/128 scope global nodad`), 'the IPv6 state is in place');
    assert.deepEqual((await applier.sync(state, true)).healed, {}, 'an undamaged kernel reads back as applied');
    await applier.watch();
    await sleep(500);
    await applier.heals(); // nothing so far is damage of the cases below
  });
  after(async () => {
    applier?.kill();
    await deleteNamespaces(prefix);
  });

  it('the claim announces the /128: the IPv6 kernel\'s unsolicited NA moves the neighbour\'s entry here', async () => {
    const mac = JSON.parse(await nsExec(ns, `ip -j link show dev ${uplink}`))[0].address as string;
    const neigh = () => nsExec(`${prefix}-lan`, `ip -6 neigh show ${EGRESS} dev p1`);
    for (let i = 0; i < 40 && !(await neigh()).includes(mac); i++) await sleep(100); // NAs at 0, 250, 1000, 2000 ms
    assert.match(await neigh(), new RegExp(`lladdr ${mac}`));
  });

  const DAMAGES: { name: string; script: string; kind: string }[] = [
    { name: 'IPv6 fwmark rules deleted', script: `for p in ${ours('$1')}; do ip -6 rule del priority $p; done`, kind: 'rule' },
    { name: 'IPv6 route tables flushed', script: `for t in ${ours('$NF')}; do ip -6 route flush table $t; done`, kind: 'route' },
    { name: 'the IPv6 egress address deleted', script: `ip -6 addr del ${EGRESS}/128 dev ${uplink}`, kind: 'address' },
    { name: 'ip6tables nat table flushed', script: 'ip6tables -t nat -F', kind: 'iptables' },
    { name: 'the ip6 guard table deleted', script: 'nft delete table ip6 segress6_guard', kind: 'guard' },
    { name: 'inet6 set members removed', script: 'for s in $(ipset list -n | grep ^segress6-); do ipset flush $s; done', kind: 'ipset' },
  ];

  for (const d of DAMAGES) {
    it(`${d.name}: healed by events (${d.kind}), the namespace reads back as before`, async () => {
      const before = await dump();
      const t0 = Date.now();
      await nsExec(ns, d.script); // (a heal can be faster than a dump: what was damaged is the heal's report)
      let healed: { at: number; healed: Record<string, number> } | undefined;
      for (let waited = 0; !healed && waited < 5_000; waited += 100) {
        await sleep(100);
        healed = (await applier!.heals()).find((h) => h.at >= t0 && (h.healed[d.kind] ?? 0) > 0);
      }
      assert.ok(healed, `${d.kind} not healed by events within 5 s`);
      await sleep(300); // a second event-driven sync may still run
      assert.equal(await dump(), before);
    });
  }
});
