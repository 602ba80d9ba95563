import assert from 'node:assert/strict';
import { allocateSlots, computeSlotLayout } from './alloc.js';
import { computeNodeState, slotsOf } from './compute.js';
import { fixtureInput } from './fixtures.js';

describe('computeNodeState', () => {
  it('directs local pods to their pinned egress IP, SNATs the policies held here, fails closed without a gateway', () => {
    const s = computeNodeState(fixtureInput());
    assert.deepEqual(s.director.map((d) => [d.egressIP, d.podIPs, d.route]), [
      ['192.0.2.100', ['203.0.113.33', '203.0.113.34'], { kind: 'direct', via: '192.0.2.100' }],
      ['192.0.2.103', ['203.0.113.36'], { kind: 'unreachable' }],
    ]);
    // api's IP is held here: its local pod needs no redirect; every api pod is SNATed here
    assert.deepEqual(s.gateway.map((g) => [g.egressIP, g.podIPs, g.destinationCIDRs]), [
      ['192.0.2.102', ['203.0.113.35', '203.0.113.97'], ['0.0.0.0/0']],
    ]);
    assert.deepEqual(s.addresses, ['192.0.2.102']);
    assert.deepEqual(s.vxlanPeers, []);
    const d = s.director[0]!;
    assert.equal(d.mark, d.slot * 0x10000);
    assert.equal(d.table, 5000 + d.slot - 1);
    assert.equal(d.priority, 5000 + d.slot - 1);
  });

  it('routes through the gateway node over VXLAN, unreachable when the gateway node is unknown', () => {
    const input = fixtureInput({ mode: 'vxlan' });
    const s = computeNodeState(input);
    assert.deepEqual(s.director[0]!.route, { kind: 'vxlan', via: '192.0.2.12', gatewayNode: 'n2' });
    assert.deepEqual(s.vxlanPeers, [{ node: 'n2', ip: '192.0.2.12' }]);
    const gone = computeNodeState({ ...input, nodes: new Map([['n1', '192.0.2.11']]) });
    assert.deepEqual(gone.director[0]!.route, { kind: 'unreachable' });
    assert.deepEqual(gone.vxlanPeers, []);
  });

  it('direct mode: an IP left without a holder stays routed via itself where it was (a planned move), else unreachable (issue 16 §3)', () => {
    // db with one IP, between its release and its claim: no holder (its pods stay pinned to it)
    const base = fixtureInput();
    const db = base.policies[0]!;
    const input = { ...base, authorizedIPs: new Map([...base.authorizedIPs, ['shop/db', ['192.0.2.100']]]) };
    const released = [{ ...db, egressIPs: ['192.0.2.100'], assignments: new Map<string, string>() }, ...base.policies.slice(1)];
    const pinAll = (_uid: string, ips: string[]) => ips[0]!;
    const moving = computeNodeState({ ...input, policies: released, pin: pinAll, previousDirect: new Set(['192.0.2.100']) });
    assert.deepEqual(moving.director.find((d) => d.egressIP === '192.0.2.100')?.route, { kind: 'direct', via: '192.0.2.100' });
    const fresh = computeNodeState({ ...input, policies: released, pin: pinAll });
    assert.deepEqual(fresh.director.find((d) => d.egressIP === '192.0.2.100')?.route, { kind: 'unreachable' }, 'never routed here: fail closed by route');
    assert.deepEqual(computeNodeState({ ...input, previousDirect: new Set(['192.0.2.103']) }).director.find((d) => d.egressIP === '192.0.2.103')?.route,
      { kind: 'direct', via: '192.0.2.103' }, 'the same for any IP this director routed via itself');
    const vx = computeNodeState({ ...input, mode: 'vxlan', policies: released, pin: pinAll, previousDirect: new Set(['192.0.2.100']) });
    assert.deepEqual(vx.director.find((d) => d.egressIP === '192.0.2.100')?.route, { kind: 'unreachable' }, 'VXLAN has no holder to tunnel to');
  });

  it('has the standbys of each IP it directs as VXLAN peers ahead, so a takeover changes its route only (issue 16 §1)', () => {
    const standbysOf = (ip: string) => (ip === '192.0.2.100' ? ['n3', 'n1', 'n9'] : []);
    const input = fixtureInput({ mode: 'vxlan', standbysOf });
    const s = computeNodeState(input);
    assert.deepEqual(s.director[0]!.route, { kind: 'vxlan', via: '192.0.2.12', gatewayNode: 'n2' }, 'the route still goes to the holder');
    assert.deepEqual(s.vxlanPeers, [{ node: 'n2', ip: '192.0.2.12' }, { node: 'n3', ip: '192.0.2.13' }],
      'the standby n3 is a peer; this node (n1) and an unknown node (n9) are not');
    // the takeover by n3: the same peers, another route
    const db = input.policies[0]!;
    const moved = computeNodeState({ ...input, standbysOf: () => ['n2'],
      policies: [{ ...db, assignments: new Map([['192.0.2.100', 'n3'], ['192.0.2.101', 'n3']]) }, ...input.policies.slice(1)] });
    assert.deepEqual(moved.director[0]!.route, { kind: 'vxlan', via: '192.0.2.13', gatewayNode: 'n3' });
    assert.deepEqual(moved.vxlanPeers, s.vxlanPeers);
  });

  it('pins over the assigned IPs only, so pods of a lost IP move and the others stay', () => {
    const input = fixtureInput();
    const db = input.policies[0]!;
    const lost = { ...db, assignments: new Map([['192.0.2.101', 'n3']]) };
    const s = computeNodeState({ ...input, policies: [lost, ...input.policies.slice(1)] });
    assert.deepEqual(s.director.map((d) => d.egressIP), ['192.0.2.101', '192.0.2.103']);
  });

  it('drops addresses when fenced, keeps the rest', () => {
    const s = computeNodeState(fixtureInput({ fenced: true }));
    assert.deepEqual(s.addresses, []);
    assert.equal(s.gateway.length, 1);
  });

  it('holds only the confirmed addresses when restricted (after fencing), keeps the rest', () => {
    assert.deepEqual(computeNodeState(fixtureInput({ holdOnly: new Set() })).addresses, []);
    assert.deepEqual(computeNodeState(fixtureInput({ holdOnly: new Set(['192.0.2.102']) })).addresses, ['192.0.2.102']);
    assert.equal(computeNodeState(fixtureInput({ holdOnly: new Set() })).gateway.length, 1);
  });

  it('programs nothing for unauthorized IPs', () => {
    const s = computeNodeState(fixtureInput({ authorizedIPs: new Map() }));
    assert.deepEqual([s.director, s.gateway, s.addresses, s.leakGuard], [[], [], [], []]);
  });

  it('leak guard: every pod of each policy, cluster-wide, on every node not covered by a gateway set', () => {
    // a guard's pods: those of the guard classes naming it
    const podsOf = (s: ReturnType<typeof computeNodeState>, id: string) => s.guardClasses.filter((c) => c.guards.includes(id)).flatMap((c) => c.podIPs).sort();
    const guards = (s: ReturnType<typeof computeNodeState>) => s.leakGuard.map((g) => [g.policyKey, podsOf(s, g.id), g.destinationCIDRs, g.excludedCIDRs]);
    // n1 holds api's only IP: its gateway set already holds every api pod, so no guard for api
    assert.deepEqual(guards(computeNodeState(fixtureInput())).sort(), [
      ['ops/dark', ['203.0.113.36'], ['198.51.100.20/32'], []],
      ['shop/db', ['203.0.113.33', '203.0.113.34', '203.0.113.65'], ['198.51.100.0/24'], ['198.51.100.7/32']],
    ]);
    // n2 holds one db IP: guards for api (pods of n1 and n3) and dark, none for db
    assert.deepEqual(guards(computeNodeState(fixtureInput({ nodeName: 'n2', nodeIP: '192.0.2.12' }))).sort(), [
      ['ops/dark', ['203.0.113.36'], ['198.51.100.20/32'], []],
      ['shop/api', ['203.0.113.35', '203.0.113.97'], ['0.0.0.0/0'], []],
    ]);
    // holding both db IPs, each gateway set holds its pins only: the guard is back for the rest
    const input = fixtureInput();
    const both = { ...input.policies[0]!, assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n1']]) };
    const s = computeNodeState({ ...input, policies: [both, ...input.policies.slice(1)] });
    assert.deepEqual(s.gateway.map((g) => g.egressIP), ['192.0.2.100', '192.0.2.101', '192.0.2.102']);
    assert.ok(s.leakGuard.some((g) => g.policyKey === 'shop/db'));
    // a policy without pods needs no guard
    const noPods = computeNodeState({ ...input, pods: input.pods.filter((p) => !p.key.startsWith('ops/')) });
    assert.ok(!noPods.leakGuard.some((g) => g.policyKey === 'ops/dark'));
  });

  it('leak guard ids are short, stable hex and never clash', () => {
    const a = computeNodeState(fixtureInput()).leakGuard;
    const b = computeNodeState(fixtureInput({ nodeName: 'n4', nodeIP: '192.0.2.14' })).leakGuard;
    const db = a.find((g) => g.policyKey === 'shop/db')!;
    assert.match(db.id, /^[0-9a-f]{10}$/);
    assert.equal(b.find((g) => g.policyKey === 'shop/db')!.id, db.id, 'the same id on every node');
    const many = fixtureInput();
    for (let i = 0; i < 300; i++) {
      many.policies.push({ key: `ns/p${i}`, egressIPs: [`192.0.2.${i % 250}`], destinationCIDRs: [], excludedCIDRs: [], assignments: new Map() });
      (many.authorizedIPs as Map<string, string[]>).set(`ns/p${i}`, [`192.0.2.${i % 250}`]);
      many.pods.push({ key: `ns/pod${i}`, uid: `u${i}`, nodeName: 'n2', podIP: `10.0.${i >> 8}.${i & 255}` });
      (many.selection as Map<string, string[]>).set(`ns/pod${i}`, [`ns/p${i}`]);
    }
    const ids = computeNodeState(many).leakGuard.map((g) => g.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.length >= 300);
  });

  it('keeps slots stable as entries come and go', () => {
    const input = fixtureInput();
    const first = computeNodeState(input);
    const prev = slotsOf(first);
    const withoutDark = computeNodeState({ ...input, previousSlots: prev, policies: input.policies.slice(0, 2) });
    assert.equal(withoutDark.director[0]!.slot, prev.get('192.0.2.100'));
    // same result whatever the input order
    const shuffled = computeNodeState({ ...input, policies: [...input.policies].reverse(), pods: [...input.pods].reverse() });
    assert.deepEqual(shuffled, first);
  });
});

describe('allocateSlots', () => {
  it('fills to capacity and reports overflow', () => {
    const { slots, overflow } = allocateSlots(['a', 'b', 'c'], 2);
    assert.equal(slots.size, 2);
    assert.deepEqual(new Set(slots.values()), new Set([1, 2]));
    assert.equal(overflow.length, 1);
  });
  it('honours previous slots first', () => {
    const { slots } = allocateSlots(['a', 'b'], 10, new Map([['b', 7]]));
    assert.equal(slots.get('b'), 7);
  });
  it('derives capacity from the smallest range', () => {
    assert.deepEqual(computeSlotLayout({ markMask: 0xff0000, tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5099 }), { capacity: 100, shift: 16 });
    assert.deepEqual(computeSlotLayout({ markMask: 0xf00, tableMin: 1, tableMax: 999, priorityMin: 1, priorityMax: 999 }), { capacity: 15, shift: 8 });
  });
});
