import assert from 'node:assert/strict';
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import type { NodeStateInput } from '../desired/types.js';
import { createFakeKernel, type FakeKernel } from '../kernel/fake.js';
import { renderState } from '../render/state.js';
import type { RenderConfig } from '../render/types.js';
import { NodeSyncer } from './syncer.js';

const render: RenderConfig = RENDER_FIXTURE;
const ranges = fixtureInput().ranges;
const want = (over: Partial<NodeStateInput> = {}) => renderState(computeNodeState(fixtureInput(over)), render);
/** The sets a pod is in (its director class, its guard class), by the state the fixture computes. */
function setsOf(podIP: string, over: Partial<NodeStateInput> = {}): { director: string; guard: string } {
  const st = computeNodeState(fixtureInput(over));
  return {
    director: `segress-c-${st.directorClasses.find((c) => c.podIPs.includes(podIP))!.id}`,
    guard: `segress-q-${st.guardClasses.find((c) => c.podIPs.includes(podIP))!.id}`,
  };
}

async function dump(k: FakeKernel): Promise<string> {
  return JSON.stringify([await k.iptables.save(), await k.ipset.save(), k.rules.rules, [...k.routes.routes].sort((a, b) => a.table - b.table), k.addresses.addrs, k.vxlan.state]);
}

describe('NodeSyncer', () => {
  let k: FakeKernel;
  let s: NodeSyncer;
  beforeEach(() => {
    k = createFakeKernel(['eth0']);
    s = new NodeSyncer(k, { render, ranges });
  });

  it('programs from empty and announces new addresses', async () => {
    const r = await s.sync(want());
    assert.equal(r.full, true);
    assert.deepEqual(r.addedAddresses, ['192.0.2.102']);
    assert.deepEqual(k.garp.sent, [{ dev: 'eth0', ip: '192.0.2.102' }]);
    assert.equal(k.rules.rules.length, 2);
    assert.equal(k.routes.routes.length, 2);
    // a director set per pinning of the local pods (db's web pods, dark's job), the gateway set of the
    // IP held here, a leak-guard set per set of guarded policies (db's pods everywhere, dark's job)
    const web = setsOf('203.0.113.33'), job = setsOf('203.0.113.36');
    assert.deepEqual([...k.ipset.sets.keys()].sort(), [web.director, job.director, 'segress-g-c0000266', web.guard, job.guard].sort());
    assert.deepEqual([...k.ipset.sets.get(web.director)!.members].sort(), ['203.0.113.33', '203.0.113.34']);
    assert.deepEqual([...k.ipset.sets.get(web.guard)!.members].sort(), ['203.0.113.33', '203.0.113.34', '203.0.113.65']);
    assert.deepEqual(k.iptables.tables.mangle!.get('PREROUTING'), ['-A PREROUTING -j SEGRESS-MARK']);
    assert.deepEqual(k.iptables.tables.nat!.get('POSTROUTING'), ['-A POSTROUTING -j SEGRESS-SKIP', '-A POSTROUTING -j SEGRESS-SNAT']);
  });

  it('is idempotent: a second sync, full or not, changes nothing', async () => {
    await s.sync(want());
    const before = await dump(k);
    const restores = k.iptables.restores + k.ipset.restores;
    for (const full of [false, true]) {
      const r = await s.sync(want(), { full });
      assert.deepEqual(r.healed, {});
      assert.deepEqual(r.changed, { ipsets: 0, chains: 0, rules: 0, routes: 0, addresses: 0, vxlan: 0 });
    }
    assert.equal(await dump(k), before);
    assert.equal(k.iptables.restores + k.ipset.restores, restores);
  });

  it('heals hand damage on a full resync and counts it', async () => {
    await s.sync(want());
    const clean = await dump(k);
    k.iptables.tables.mangle!.set('SEGRESS-MARK', []); // flushed chain
    k.iptables.tables.nat!.get('POSTROUTING')!.unshift('-A POSTROUTING -j CNI-MASQ'); // someone got ahead
    k.rules.rules.pop(); // deleted rule
    k.routes.routes.shift(); // deleted route
    k.addresses.addrs = []; // deleted address
    k.ipset.sets.get(setsOf('203.0.113.33').director)!.members.delete('203.0.113.33'); // deleted member
    const r = await s.sync(want(), { full: true });
    assert.deepEqual(r.healed, { ipset: 1, iptables: 2, rule: 1, route: 1, address: 1 });
    k.iptables.tables.nat!.get('POSTROUTING')!.splice(2, 1); // the foreign rule stays, after ours
    assert.equal(await dump(k), clean);
    assert.equal(k.garp.sent.length, 2); // the re-added address is announced again
  });

  it('moves between states adding before removing, and deletes stale objects', async () => {
    await s.sync(want());
    const input = fixtureInput();
    const next = want({ policies: input.policies.slice(0, 2), pods: input.pods.filter((p) => p.key !== 'shop/web-2'),
      authorizedIPs: new Map([['shop/db', ['192.0.2.100', '192.0.2.101']]]) });
    await s.sync(next);
    const web = setsOf('203.0.113.33');
    assert.deepEqual([...k.ipset.sets.keys()].sort(), [web.director, web.guard].sort());
    assert.deepEqual([...k.ipset.sets.get(web.director)!.members], ['203.0.113.33']);
    assert.deepEqual([...k.ipset.sets.get(web.guard)!.members].sort(), ['203.0.113.33', '203.0.113.65']);
    assert.ok(!k.iptables.tables.filter!.has('SEGRESS-L-EB0078A44B'), 'the deleted policy\'s guard is gone');
    assert.equal(k.rules.rules.length, 1);
    assert.equal(k.addresses.addrs.length, 0);
    assert.ok(!k.iptables.tables.nat!.has('SEGRESS-S-C0000266'));
  });

  it('a pod coming or going changes its set in place, without a restore', async () => {
    await s.sync(want());
    const restores = k.ipset.restores + k.iptables.restores;
    const input = fixtureInput();
    const more = want({ pods: [...input.pods, { key: 'shop/web-9', uid: 'u-web-9', nodeName: 'n1', podIP: '203.0.113.40' }],
      selection: new Map([...input.selection, ['shop/web-9', ['shop/db']]]) });
    const r = await s.sync(more);
    assert.equal(r.changed.ipsets, 2); // the director set and the leak-guard set of its class (web's)
    assert.equal(k.ipset.restores + k.iptables.restores, restores);
    assert.equal(k.ipsetMembers.ops, 2);
    const web = setsOf('203.0.113.33');
    assert.ok(k.ipset.sets.get(web.director)!.members.has('203.0.113.40'));
    assert.ok(k.ipset.sets.get(web.guard)!.members.has('203.0.113.40'));
  });

  it('vxlan: device, neighbours and fdb follow the gateways', async () => {
    await s.sync(want({ mode: 'vxlan' }));
    assert.equal(k.vxlan.state.device?.name, 'segress.vx');
    assert.deepEqual(k.vxlan.state.fdb, [{ mac: '0e:5e:c0:00:02:0c', dst: '192.0.2.12', via: 'eth0' }]);
    await s.sync(want({ mode: 'direct' }));
    assert.equal(k.vxlan.state.device, null);
  });

  it('a set restore runs on while routes and rules are written; nothing that uses sets starts before it ends', async () => {
    const restore = k.ipset.restore.bind(k.ipset);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const seenWhilePending: string[] = [];
    k.ipset.restore = async (text) => {
      await gate;
      return restore(text);
    };
    const syncing = s.sync(want());
    // the sync reaches past the restore: routes and rules are written while it is held
    for (let i = 0; i < 1000 && k.rules.rules.length < 2; i++) await new Promise((r) => setImmediate(r));
    seenWhilePending.push(`routes ${k.routes.routes.length}`, `iptables ${k.iptables.restores}`, `sets ${k.ipset.sets.size}`);
    release();
    await syncing;
    assert.deepEqual(seenWhilePending, ['routes 2', 'iptables 0', 'sets 0']);
    assert.equal(k.iptables.restores, 1);
    assert.equal(k.ipset.sets.size, 5);
  });

  it('a failed set restore fails the sync before any iptables restore, and the next sync re-reads', async () => {
    const restore = k.ipset.restore.bind(k.ipset);
    k.ipset.restore = async () => { throw new Error('boom'); };
    await assert.rejects(s.sync(want()), /boom/);
    assert.equal(k.iptables.restores, 0);
    k.ipset.restore = restore;
    const r = await s.sync(want());
    assert.equal(r.full, true);
    assert.equal(k.ipset.sets.size, 5);
  });

  it('after a failed apply the next sync re-reads the kernel', async () => {
    await s.sync(want());
    const restore = k.iptables.restore.bind(k.iptables);
    k.iptables.restore = async () => { throw new Error('boom'); };
    // a change that needs an iptables restore (the plan holds no empty restores)
    await assert.rejects(s.sync(want({ mode: 'vxlan' })));
    k.iptables.restore = restore;
    const r = await s.sync(want({ mode: 'vxlan' }));
    assert.equal(r.full, true);
  });

  it('an IP released and another claimed in one sync: at every table commit each pod is marked, SNATed or guarded', async () => {
    await s.sync(want());
    // the fate of an unmarked NEW packet of `pod` to an outside destination, as the tables stand now
    const fate = (pod: string): string => {
      const inSet = (rule: string) => { const m = /--match-set (\S+) src/.exec(rule); return !!m && !!k.ipset.sets.get(m[1]!)?.members.has(pod); };
      if ((k.iptables.tables.mangle!.get('SEGRESS-MARK') ?? []).some(inSet)) return 'marked';
      const first = (k.iptables.tables.filter!.get('SEGRESS-FWD') ?? []).find((r) => inSet(r) && !r.includes(' dst '));
      if (!first) return 'LEAK (forwarded, masqueraded)';
      if (/-j SEGRESS-L-/.test(first)) return 'guarded';
      const set = /--match-set (\S+) src/.exec(first)![1]!;
      return (k.iptables.tables.nat!.get('SEGRESS-SNAT') ?? []).some((r) => r.includes(`--match-set ${set} src`)) ? 'snat' : 'LEAK (accepted, no SNAT)';
    };
    const pods = ['203.0.113.33', '203.0.113.34', '203.0.113.65', '203.0.113.35', '203.0.113.97'];
    const seen: string[][] = [];
    k.iptables.onCommit = (table) => seen.push([table, ...pods.map(fate)]);
    const input = fixtureInput();
    const [db, api, dark] = input.policies;
    // api's IP (held here) moves to n3; db's 192.0.2.100 moves here from n2
    const next = want({ policies: [
      { ...db!, assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n3']]) },
      { ...api!, assignments: new Map([['192.0.2.102', 'n3']]) }, dark!] });
    await s.sync(next);
    assert.ok(seen.length >= 3, 'a restore per table');
    for (const [table, ...fates] of seen) {
      assert.ok(fates.every((f) => !f.startsWith('LEAK')), `after the ${table} commit: ${pods.map((p, i) => `${p} ${fates[i]}`).join(', ')}`);
    }
    assert.deepEqual(pods.map(fate), ['snat', 'snat', 'snat', 'marked', 'guarded']);
    assert.ok(!k.iptables.tables.nat!.has('SEGRESS-S-C0000266'), 'the released SNAT is gone in the end');
  });

  it('knows which egress addresses are on the uplink: read on a full sync, then its own adds and deletes', async () => {
    assert.equal(s.heldAddresses, null, 'unknown before the first kernel read');
    k.addresses.addrs.push({ ip: '192.0.2.150', dev: 'eth0', owned: true }); // ours, left by a previous run
    k.addresses.addrs.push({ ip: '192.0.2.11', dev: 'eth0', owned: false }); // the node's own /32: not ours
    const del = k.addresses.del.bind(k.addresses);
    let failDel = true;
    k.addresses.del = async (dev, ips) => { if (failDel && ips.length) throw new Error('boom'); return del(dev, ips); };
    await assert.rejects(s.sync(want()));
    assert.deepEqual([...s.heldAddresses!].sort(), ['192.0.2.150'], 'a failed delete still counts as held');
    failDel = false;
    await s.sync(want());
    assert.deepEqual([...s.heldAddresses!], ['192.0.2.102']);
    await s.sync(want({ fenced: true }));
    assert.deepEqual([...s.heldAddresses!], []);
    const add = k.addresses.add.bind(k.addresses);
    k.addresses.add = async (dev, ips) => { await add(dev, ips); throw new Error('netlink answered late'); };
    await assert.rejects(s.sync(want()));
    assert.deepEqual([...s.heldAddresses!], ['192.0.2.102'], 'a failed add may have added it: held');
    k.addresses.add = add;
    k.addresses.addrs = []; // removed by hand: the next full sync sees it and adds it back
    await s.sync(want({ fenced: true }));
    assert.deepEqual([...s.heldAddresses!], []);
    await s.sync(want());
    await s.cleanup();
    assert.deepEqual([...s.heldAddresses!], []);
  });

  it('cleanup removes only ours: a CNI chain, a foreign set, rule and address survive', async () => {
    await k.iptables.restore('*nat\n:CNI-MASQ - [0:0]\n-A CNI-MASQ -j MASQUERADE\n-A POSTROUTING -s 203.0.113.0/24 -j CNI-MASQ\nCOMMIT\n');
    await k.ipset.restore('create kube-svc hash:ip family inet hashsize 1024 maxelem 65536\nadd kube-svc 203.0.113.9\n');
    k.rules.rules.push({ priority: 100, fwmark: 0x4000, fwmask: 0x4000, table: 100 });
    k.addresses.addrs.push({ ip: '192.0.2.200', dev: 'eth0', owned: false });
    const foreign = await dump(k);
    await s.sync(want({ mode: 'vxlan' }));
    assert.notEqual(await dump(k), foreign, 'the sync programmed something');
    await s.cleanup();
    assert.equal(await dump(k), foreign);
    assert.match(await k.iptables.save(), /-A POSTROUTING -s 203\.0\.113\.0\/24 -j CNI-MASQ/);
    assert.ok(k.ipset.sets.has('kube-svc'));
    assert.deepEqual(k.rules.rules, [{ priority: 100, fwmark: 0x4000, fwmask: 0x4000, table: 100 }]);
    assert.deepEqual(k.addresses.addrs, [{ ip: '192.0.2.200', dev: 'eth0', owned: false }]);
  });

  it('cleanup leaves nothing of ours', async () => {
    const empty = await dump(k);
    await s.sync(want({ mode: 'vxlan' }));
    await s.cleanup();
    assert.equal(await dump(k), empty);
  });
});
