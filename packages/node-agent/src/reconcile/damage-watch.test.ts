import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { DamageHealer, DamageTracker, classifyMonitorLine, type WatchNames } from './damage-watch.js';

const names: WatchNames = {
  uplink: 'eth0', vxlanDevice: 'segress.vx', guardTable: 'segress_guard',
  ranges: { tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5999 },
};

describe('damage watch', () => {
  it('classifies monitor lines as printed by `ip -o monitor` and `nft monitor`', () => {
    const cases: [('ip' | 'nft'), string, string | null][] = [
      ['ip', 'Deleted 5001:\tfrom all fwmark 0x290000/0xff0000 lookup 5001', 'rule'],
      ['ip', '5001:\tfrom all fwmark 0x290000/0xff0000 lookup 5001', null], // an add: ours, or harmless
      ['ip', 'Deleted 100:\tfrom all lookup 100', null], // not our priority
      ['ip', 'Deleted default via 192.0.2.100 dev eth0 table 5041 onlink ', 'route'],
      ['ip', 'Deleted unreachable default table 5232 ', 'route'],
      ['ip', 'Deleted default via 192.0.2.1 dev eth0 table 200 ', null],
      ['ip', 'Deleted 2: eth0    inet 192.0.2.100/32 scope global eth0:seg\\       valid_lft forever preferred_lft forever', 'address'],
      ['ip', '2: eth0    inet 192.0.2.100/32 scope global eth0:seg\\       valid_lft forever preferred_lft forever', null],
      ['ip', 'Deleted 7: segress.vx: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN ', 'vxlan'],
      ['ip', 'inet segress.vx rp_filter strict ', 'vxlan'],
      ['ip', 'inet segress.vx rp_filter loose ', null],
      ['ip', 'inet eth0 rp_filter strict ', null],
      ['nft', 'insert rule ip nat POSTROUTING counter packets 0 bytes 0 masquerade', 'iptables'],
      ['nft', 'delete rule ip nat POSTROUTING handle 2', 'iptables'],
      ['nft', 'flush chain ip mangle SEGRESS-MARK', 'iptables'],
      ['nft', 'add rule ip nat POSTROUTING counter masquerade', null], // appended after our jumps: harmless
      ['nft', 'delete table ip segress_guard', 'guard'],
      ['nft', 'delete element arp segress_lease leased { 192.0.2.100 }', null], // the lease is not ours to heal here
      ['nft', '# new generation 5 by process 22531 (nft)', null],
    ];
    for (const [source, line, kind] of cases) assert.equal(classifyMonitorLine(source, line, names), kind, line);
  });

  it('IPv6 (issue 11): the IPv6 state\'s rules, routes, /128 nodad addresses, ip6tables tables and ip6 guard, only where it runs', () => {
    const with6: WatchNames = { ...names, ipv6: { guardTable: 'segress6_guard', vxlanDevice: 'segress.vx6' } };
    const cases: [('ip' | 'nft'), string, string | null, string | null][] = [
      // line, kind with the IPv6 state, kind without it
      ['ip', 'Deleted 5001:\tfrom all fwmark 0x10000/0xff0000 lookup 5001', 'rule', 'rule'], // both families print rules alike
      ['ip', 'Deleted default via 2001:db8:0:2::12 dev eth0 table 5001 metric 1024 onlink pref medium', 'route', 'route'],
      ['ip', 'Deleted unreachable default dev lo table 5002 metric 1024 pref medium', 'route', 'route'],
      ['ip', 'Deleted 3: eth0    inet6 2001:db8:0:2::100/128 scope global nodad \\       valid_lft forever preferred_lft forever', 'address', null],
      ['ip', '3: eth0    inet6 2001:db8:0:2::100/128 scope global nodad \\       valid_lft forever preferred_lft forever', null, null],
      ['ip', 'Deleted 3: eth0    inet6 2001:db8:0:2::77/128 scope global \\       valid_lft forever preferred_lft forever', null, null], // not nodad: the host's
      ['ip', 'Deleted 3: eth0    inet6 2001:db8:0:2::11/64 scope global nodad \\       valid_lft forever preferred_lft forever', null, null],
      ['ip', 'Deleted 3: cni0    inet6 2001:db8:0:2::100/128 scope global nodad \\       valid_lft forever preferred_lft forever', null, null],
      ['ip', 'Deleted local 2001:db8:0:2::100 dev eth0 table local proto kernel metric 0 pref medium', null, null],
      ['nft', 'delete rule ip6 nat SEGRESS-X handle 2', 'iptables', null],
      ['nft', 'flush chain ip6 mangle SEGRESS-MARK', 'iptables', null],
      ['nft', 'add rule ip6 nat POSTROUTING counter masquerade', null, null],
      ['nft', 'delete table ip6 segress6_guard', 'guard', null],
      ['nft', 'delete table ip segress6_guard', null, null], // another family's table of that name
      ['nft', 'delete element ip6 segress6_lease leased { 0x20010db8000000020000000000000100 }', null, null],
      ['nft', 'delete rule ip nat POSTROUTING handle 2', 'iptables', 'iptables'],
      ['ip', 'Deleted 8: segress.vx6: <BROADCAST,MULTICAST> mtu 1430 qdisc noop state DOWN ', 'vxlan', null],
    ];
    for (const [source, line, kind6, kind4] of cases) {
      assert.equal(classifyMonitorLine(source, line, with6), kind6, `with IPv6: ${line}`);
      assert.equal(classifyMonitorLine(source, line, names), kind4, `IPv4 only: ${line}`);
    }
  });

  it('tracker: heals at once, alerts once per streak on the 3rd repeat, then backs off doubling to the cap; a quiet kind starts over', () => {
    const t = new DamageTracker({ repeatWithinMs: 2_000, repeatsToAlert: 3, maxDelayMs: 2_000 });
    const alerts: boolean[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const now = i * 300;
      delays.push(t.delayMs('iptables', now));
      alerts.push(t.healed('iptables', now).alert);
    }
    assert.deepEqual(alerts, [false, false, false, true, false, false, false, false]);
    assert.deepEqual(delays, [0, 0, 0, 0, 250, 500, 1000, 2000]);
    assert.equal(t.delayMs('rule', 2_100), 0, 'other kinds are not slowed');
    assert.equal(t.delayMs('iptables', 2_100 + 2_001), 0, 'quiet for repeatWithinMs: at once again');
    assert.equal(t.healed('iptables', 4_200).repeats, 0);
  });

  it('healer: damage lines heal at once; under back-off one heal is scheduled, not one per line', () => {
    const clock = new FakeClock();
    const heals: string[] = [];
    const alerts: string[] = [];
    const h = new DamageHealer({ clock, names, heal: (r) => heals.push(r), alert: (k) => alerts.push(k) });
    h.onLine('nft', 'add rule ip nat POSTROUTING counter masquerade');
    h.onLine('ip', 'Deleted 5001:\tfrom all fwmark 0x290000/0xff0000 lookup 5001');
    h.onLine('poll', 'changed');
    assert.deepEqual(heals, ['damage:rule', 'damage:ipset']);
    for (let i = 0; i < 5; i++) {
      h.healed({ iptables: 1 });
      clock.advance(100);
    }
    assert.deepEqual(alerts, ['iptables']);
    heals.length = 0;
    for (let i = 0; i < 10; i++) h.onLine('nft', 'insert rule ip nat POSTROUTING counter masquerade');
    assert.deepEqual(heals, []);
    clock.advance(500);
    assert.equal(heals.length, 1);
    assert.match(heals[0]!, /backed off/);
  });
});
