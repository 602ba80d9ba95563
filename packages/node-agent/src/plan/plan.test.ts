// plan(): golden plans for the moves that matter, and the safety order checked on the operations.
// Regenerate after an intended change: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/plan/plan.test.ts
import assert from 'node:assert/strict';
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import type { NodeStateInput } from '../desired/types.js';
import { setNames } from '../render/names.js';
import { emptyParsedIptables, parseIpsetSave, parseIptablesSave } from '../render/parse.js';
import { renderState } from '../render/state.js';
import type { RenderConfig, RenderedState } from '../render/types.js';
import { computeDamage, modelOf } from './damage.js';
import { renderIpsetRestore } from './ipset.js';
import { renderIptablesCleanup, renderIptablesRestore } from './iptables.js';
import { plan, planCleanup } from './plan.js';
import { planViolations } from './safety.js';
import { renderPlanText } from './text.js';
import type { KernelView, Operation } from './types.js';
import { goldenIn } from '../render/golden-file.js';

const cfg: RenderConfig = RENDER_FIXTURE;
const temp = setNames(cfg).temp;
const want = (over: Partial<NodeStateInput> = {}) => renderState(computeNodeState(fixtureInput(over)), cfg);
const empty = (): KernelView => ({ ipsets: new Map(), iptables: emptyParsedIptables(), rules: [], routes: [], addresses: [], vxlan: { device: null, neighbors: [], fdb: [] } });
const planFrom = (from: RenderedState | null, to: RenderedState) =>
  plan(to, from ? modelOf(from) : empty(), { render: cfg, inPlaceMembers: true, knownAddresses: new Set(from?.addresses.map((a) => a.ip)) });

const golden = goldenIn(import.meta.dirname);

/** api's IP (held here) moves to n3; db's 192.0.2.100 moves here from n2. */
function handoverInput(): Partial<NodeStateInput> {
  const [db, api, dark] = fixtureInput().policies;
  return { policies: [
    { ...db!, assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n3']]) },
    { ...api!, assignments: new Map([['192.0.2.102', 'n3']]) }, dark!] };
}

/** db's pods, SNATed here through 192.0.2.101's set, move to 192.0.2.100 (their pin) as it comes here from n2. */
function pinMovesHere(): [RenderedState, RenderedState] {
  const [db, api, dark] = fixtureInput().policies;
  const at = (a: Record<string, string>) => want({ policies: [{ ...db!, assignments: new Map(Object.entries(a)) }, api!, dark!] });
  return [at({ '192.0.2.100': 'n2', '192.0.2.101': 'n1' }), at({ '192.0.2.100': 'n1', '192.0.2.101': 'n1' })];
}

/** web-1 leaves n1 and web-9 arrives (db's sets here gain one member and lose another); the dark policy goes. */
function podReplaced(): [RenderedState, RenderedState] {
  const input = fixtureInput();
  return [want(), want({ pods: [...input.pods.filter((p) => p.key !== 'shop/web-1'), { key: 'shop/web-9', uid: 'u-web-9', nodeName: 'n1', podIP: '203.0.113.40' }],
    selection: new Map([...input.selection, ['shop/web-9', ['shop/db']]]), policies: input.policies.slice(0, 2) })];
}

const moves: Record<string, () => [RenderedState | null, RenderedState]> = {
  'vxlan-from-empty': () => [null, want({ mode: 'vxlan' })],
  handover: () => [want(), want(handoverInput())],
  'pod-joins': () => {
    const input = fixtureInput();
    return [want(), want({ pods: [...input.pods, { key: 'shop/web-9', uid: 'u-web-9', nodeName: 'n1', podIP: '203.0.113.40' }],
      selection: new Map([...input.selection, ['shop/web-9', ['shop/db']]]) })];
  },
  fenced: () => [want(), want({ fenced: true })],
  'policy-deleted': () => [want({ mode: 'vxlan' }), want({ mode: 'vxlan', policies: fixtureInput().policies.slice(0, 2) })],
  'pin-moves-here': pinMovesHere,
};

describe('plan', () => {
  for (const [name, move] of Object.entries(moves)) {
    it(`${name}: golden plan, in a safe order`, () => {
      const [from, to] = move();
      const p = planFrom(from, to);
      golden(`${name}.plan`, renderPlanText(p.ops));
      assert.deepEqual(planViolations(p.ops, from ? modelOf(from) : empty(), to, cfg), []);
    });
  }

  it('nothing to do: an empty plan (in VXLAN mode only the tunnel check that re-asserts rp_filter)', () => {
    assert.deepEqual(planFrom(want(), want()).ops, []);
    assert.deepEqual(planFrom(want({ mode: 'vxlan' }), want({ mode: 'vxlan' })).ops.map((o) => o.op), ['vxlan-add']);
    assert.deepEqual(planFrom(want(), want()).changed, { ipsets: 0, chains: 0, rules: 0, routes: 0, addresses: 0, vxlan: 0 });
  });

  it('handover: address out first, routes, two restores (the released SNAT goes in the second), address in, GARP, removals', () => {
    const p = planFrom(want(), want(handoverInput()));
    assert.deepEqual(p.ops.map((o) => o.op), [
      'address-del', 'ipset-restore', 'route-replace', 'rule-add', 'guard-apply', 'iptables-restore', 'iptables-restore', 'address-add', 'garp', 'rule-del', 'route-del', 'ipset-destroy',
    ]);
    const [first, second] = p.ops.filter((o) => o.op === 'iptables-restore') as Extract<Operation, { op: 'iptables-restore' }>[];
    assert.equal(first!.handover, true);
    assert.ok(!first!.text.includes('-X SEGRESS-S-C0000266') && second!.text.includes('-X SEGRESS-S-C0000266'));
    assert.ok(!second!.text.includes('*filter'), 'the filter table already guards the released IP\'s pods');
    assert.deepEqual(p.ops.find((o) => o.op === 'address-del'), { op: 'address-del', dev: 'eth0', ips: ['192.0.2.102'] });
    assert.deepEqual(p.ops.find((o) => o.op === 'garp'), { op: 'garp', dev: 'eth0', ips: ['192.0.2.100'] });
    assert.deepEqual(p.held, ['192.0.2.102']);
  });

  it('only addresses of ours go: labelled, or applied by us before', () => {
    const current = { ...empty(), addresses: [{ ip: '192.0.2.11', dev: 'eth0', owned: false }, { ip: '192.0.2.150', dev: 'eth0', owned: true }, { ip: '192.0.2.151', dev: 'eth0', owned: false }] };
    const p = plan(want({ fenced: true }), current, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(['192.0.2.151']) });
    assert.deepEqual(p.ops.find((o) => o.op === 'address-del'), { op: 'address-del', dev: 'eth0', ips: ['192.0.2.150', '192.0.2.151'] });
  });

  it('without in-place member changes, a set that changes is swapped in', () => {
    const [from, to] = moves['pod-joins']!();
    const p = plan(to, modelOf(from!), { render: cfg, inPlaceMembers: false, knownAddresses: new Set() });
    assert.deepEqual(p.ops.map((o) => o.op), ['ipset-restore']);
    assert.match((p.ops[0] as { text: string }).text, /^swap (segress-c-[0-9a-f]{10})-t \1$/m); // the pod's director set
  });

  it('a set that stays loses its members only after every restore: in place, they are deleted after the restores', () => {
    const [from, to] = pinMovesHere();
    const kinds = planFrom(from, to).ops.map((o) => o.op);
    assert.ok(kinds.indexOf('ipset-members') > kinds.lastIndexOf('iptables-restore'), kinds.join(' '));
  });

  it('without in-place member changes, a set that gains and loses members: the union swapped in before the restores, the exact set after', () => {
    const [from, to] = podReplaced();
    const p = plan(to, modelOf(from), { render: cfg, inPlaceMembers: false, knownAddresses: new Set() });
    golden('pod-replaced.swap.plan', renderPlanText(p.ops));
    assert.deepEqual(planViolations(p.ops, modelOf(from), to, cfg), []);
    assert.deepEqual(p.ops.map((o) => o.op), ['ipset-restore', 'guard-apply', 'iptables-restore', 'ipset-restore', 'rule-del', 'route-del', 'ipset-destroy']);
  });

  it('the safety rules catch a member that leaves a set before a restore', () => {
    const [from, to] = pinMovesHere();
    const ops = planFrom(from, to).ops;
    const early: Operation[] = ops.filter((o) => o.op !== 'ipset-members');
    early.splice(1, 0, ops.find((o) => o.op === 'ipset-members')!);
    const found = planViolations(early, modelOf(from), to, cfg).join('\n');
    assert.match(found, /203\.0\.113\.33 from segress-g-c0000265 before iptables-restore #\d+ \(a member leaves a set only after every restore\)/);
    assert.match(found, /sets and members, routes and rules before|add before remove/);
  });

  it('the safety rules catch a plan in the wrong order', () => {
    const from = want(), to = want(handoverInput());
    const ops = planFrom(from, to).ops;
    const check = (bad: Operation[]) => planViolations(bad, modelOf(from), to, cfg);
    const moved = (kind: Operation['op'], to: number) => {
      const out = ops.filter((o) => o.op !== kind);
      out.splice(to, 0, ops.find((o) => o.op === kind)!);
      return out;
    };
    assert.match(check(moved('address-add', 0)).join('\n'), /SNAT before the address/);
    assert.match(check(moved('garp', 0)).join('\n'), /GARP for 192\.0\.2\.100 before its address/);
    assert.match(check(moved('address-del', ops.length)).join('\n'), /a released address before its SNAT goes/);
    assert.match(check(moved('rule-add', 0)).join('\n'), /rule to table \d+ before its route/);
    assert.match(check(moved('route-del', 0)).join('\n'), /add before remove/);
    assert.match(check(moved('ipset-restore', ops.length)).join('\n'), /set segress-g-c0000264 used before it exists/);
    const restores = ops.filter((o) => o.op === 'iptables-restore');
    const one = ops.filter((o) => o !== restores[0]); // the second restore alone: the SNAT goes with the filter change
    const single = { op: 'iptables-restore' as const, handover: false, text: renderIptablesRestore(to.iptables, to.jumps, modelOf(from).iptables, 'SEGRESS').text };
    assert.match(check(one.map((o) => (o === restores[1] ? single : o))).join('\n'), /SEGRESS-S-C0000266 goes at #\d+, before the filter table guards its pods/);
    const emptied = [...ops, { op: 'route-del' as const, routes: to.routes.slice(0, 1) }];
    assert.match(check(emptied).join('\n'), /empties table \d+ instead of replacing its route/);
  });

  it('cleanup: chains, rules, routes, our addresses, sets, tunnel', () => {
    const s = want({ mode: 'vxlan' });
    const current = { ...modelOf(s), addresses: [...modelOf(s).addresses, { ip: '192.0.2.11', dev: 'eth0', owned: false }] };
    golden('cleanup.plan', renderPlanText(planCleanup(current, cfg)));
  });

  it('damage: what a full resync finds changed by hand, by kind', () => {
    const s = want();
    const have = modelOf(s);
    assert.deepEqual(computeDamage(s, have, 'SEGRESS'), {});
    have.rules = have.rules.slice(1);
    have.addresses = [];
    have.ipsets = new Map([...have.ipsets, ['segress-d-c00002ff', { name: 'segress-d-c00002ff', type: 'hash:ip', members: [] }]]);
    assert.deepEqual(computeDamage(s, have, 'SEGRESS'), { ipset: 1, rule: 1, address: 1 });
  });

  it('incremental text: only changed chains and sets, stale ones deleted, misplaced jumps fixed', () => {
    const input = fixtureInput();
    const before = renderState(computeNodeState(input), cfg);
    // the kernel as applied, plus a foreign rule inserted ahead of our PREROUTING jump
    const saved = [
      '*mangle', ':PREROUTING ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]',
      ...[...before.iptables.mangle.keys()].map((c) => `:${c} - [0:0]`),
      '-A PREROUTING -j CNI-MARK', '-A PREROUTING -j SEGRESS-MARK', '-A FORWARD -j SEGRESS-MSS',
      ...[...before.iptables.mangle.values()].flat(), 'COMMIT',
      '*nat', ':POSTROUTING ACCEPT [0:0]', ...[...before.iptables.nat.keys()].map((c) => `:${c} - [0:0]`),
      '-A POSTROUTING -j SEGRESS-SKIP', '-A POSTROUTING -j SEGRESS-SNAT', '-A POSTROUTING -j CNI-MASQ', ...[...before.iptables.nat.values()].flat(), 'COMMIT',
      '*filter', ':FORWARD ACCEPT [0:0]', ...[...before.iptables.filter.keys()].map((c) => `:${c} - [0:0]`),
      '-A FORWARD -j SEGRESS-FWD', ...[...before.iptables.filter.values()].flat(), 'COMMIT',
    ].join('\n');
    const current = parseIptablesSave(saved, 'SEGRESS');
    // web-2 leaves, the dark policy is deleted
    const after = renderState(computeNodeState({ ...input, pods: input.pods.filter((p) => p.key !== 'shop/web-2'), policies: input.policies.slice(0, 2) }), cfg);
    golden('incremental.iptables', renderIptablesRestore(after.iptables, after.jumps, current, 'SEGRESS').text);
    const sets = parseIpsetSave(before.ipsets.flatMap((s) => [`create ${s.name} ${s.type} family inet`, ...s.members.map((m) => `add ${s.name} ${m}`)]).join('\n'), 'segress');
    golden('incremental.ipset', renderIpsetRestore(after.ipsets, sets, temp));
    golden('cleanup.iptables', renderIptablesCleanup(current, 'SEGRESS'));
  });
});

describe('plan with the kernel lease (issue 14)', () => {
  const A = '192.0.2.100';
  const ops = (p: { ops: Operation[] }) => renderPlanText(p.ops).trim().split('\n').filter((l) => /^\d+\. (lease|conntrack|address|garp)/.test(l)).map((l) => l.replace(/^\d+\. /, ''));
  const withLease = (v: KernelView, leased: string[], guarded = [A, '192.0.2.101', '192.0.2.102']): KernelView =>
    ({ ...v, lease: { guard: true, owned: new Set(guarded), leased: new Set(leased) } });
  const leasePlan = (claim: boolean) => ({ guarded: [A, '192.0.2.101', '192.0.2.102'], claim, ms: 300 });
  const run = (from: RenderedState | null, to: RenderedState, leased: string[], claim: boolean, current?: KernelView) => {
    const have = current ?? withLease(from ? modelOf(from) : empty(), leased);
    const p = plan(to, have, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(from?.addresses.map((a) => a.ip)), lease: leasePlan(claim) });
    assert.deepEqual(planViolations(p.ops, have, to, cfg), []);
    return p;
  };

  it('handover: the released IP stops being announced before it goes, its flows are forgotten at the end; the new one is leased, added, announced, then forgets an earlier tenure', () => {
    const from = want();
    const to = want(handoverInput());
    const p = run(from, to, from.addresses.map((a) => a.ip), true);
    assert.deepEqual(ops(p), [
      'lease-end 192.0.2.102', 'address-del eth0 192.0.2.102',
      'lease-claim 192.0.2.100 for 300 ms', 'address-add eth0 192.0.2.100', 'garp eth0 192.0.2.100', 'conntrack-forget 192.0.2.100',
      'conntrack-forget 192.0.2.102',
    ]);
  });

  it('without a claim (after a start or a lapse, before the API confirms): the address is added silently, nothing is leased or announced', () => {
    const p = run(want(), want(handoverInput()), [], false);
    assert.ok(!p.ops.some((o) => o.op === 'lease-claim' || o.op === 'garp'), renderPlanText(p.ops));
    assert.ok(p.ops.some((o) => o.op === 'address-add'));
  });

  it('a held address without a running lease is claimed and re-announced once the claim is allowed, not before', () => {
    const s = want();
    const held = s.addresses.map((a) => a.ip);
    assert.deepEqual(ops(run(s, s, [], false)), [], 'silent until confirmed');
    assert.deepEqual(ops(run(s, s, [], true)), [
      `lease-claim ${held.join(' ')} for 300 ms`, `garp eth0 ${held.join(' ')} (re-announce: held, newly leased)`,
    ], 'its flows are current (it never left): kept');
    assert.deepEqual(ops(run(s, s, held, true)), [], 'a running lease: nothing to do (renewals are the probes\' business)');
  });

  it('a missing or damaged guard is set up first; fenced ends every lease before its address goes', () => {
    const s = want();
    const noGuard = { ...withLease(modelOf(s), []), lease: { guard: false, owned: new Set<string>(), leased: new Set<string>() } };
    const p = run(s, s, [], true, noGuard);
    assert.equal(p.ops[0]!.op, 'lease-setup');
    const fenced = run(s, want({ fenced: true }), s.addresses.map((a) => a.ip), true);
    assert.deepEqual(fenced.ops.map((o) => o.op).filter((k) => k.startsWith('lease') || k.startsWith('address') || k === 'conntrack-forget'),
      ['lease-end', 'address-del', 'conntrack-forget']);
  });

  it('the fence withholds an address the API still assigns here: its flows stay when it goes and when it comes back; a release forgets them', () => {
    const s = want();
    const held = s.addresses.map((a) => a.ip);
    const fenced = want({ fenced: true });
    const keep = { ...leasePlan(true), keepFlows: new Set(held) };
    const have = withLease(modelOf(s), held);
    const drop = plan(fenced, have, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(held), lease: keep });
    assert.deepEqual(planViolations(drop.ops, have, fenced, cfg, keep.keepFlows), []);
    assert.deepEqual(ops(drop), [`lease-end ${held.join(' ')}`, `address-del eth0 ${held.join(' ')}`]);
    const back = withLease(modelOf(fenced), []);
    const resume = plan(s, back, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(held), lease: keep });
    assert.deepEqual(planViolations(resume.ops, back, s, cfg, keep.keepFlows), []);
    assert.deepEqual(ops(resume), [`lease-claim ${held.join(' ')} for 300 ms`, `address-add eth0 ${held.join(' ')}`, `garp eth0 ${held.join(' ')}`]);
    // without keepFlows (released, or back after another node held it) the same re-add is a new tenure
    assert.ok(planViolations(resume.ops, back, s, cfg).some((v) => v.includes('never forgets the flows of an earlier one')));
  });

  it('the safety rules catch a GARP without a lease, a release while leased, a claim before forgetting', () => {
    const from = want();
    const to = want(handoverInput());
    const have = withLease(modelOf(from), from.addresses.map((a) => a.ip));
    const good = plan(to, have, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(from.addresses.map((a) => a.ip)), lease: leasePlan(true) }).ops;
    const without = (k: string) => good.filter((o) => o.op !== k);
    assert.ok(planViolations(without('lease-claim'), have, to, cfg).some((v) => v.includes('without a lease')));
    assert.ok(planViolations(without('lease-end'), have, to, cfg).some((v) => v.includes('released while its lease runs')));
    assert.ok(planViolations(without('conntrack-forget'), have, to, cfg).some((v) => v.includes('never forgets the flows of an earlier one')));
    const s = want();
    const held = withLease(modelOf(s), []);
    const reclaim = plan(s, held, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(s.addresses.map((a) => a.ip)), lease: leasePlan(true) }).ops;
    const ip = s.addresses[0]!.ip;
    assert.ok(planViolations([{ op: 'conntrack-forget', ips: [ip] }, ...reclaim], held, s, cfg).some((v) => v.includes('never left this node')));
  });

  it('cleanup removes the guard', () => {
    const have = withLease(modelOf(want()), []);
    assert.ok(planCleanup(have, cfg).some((o) => o.op === 'lease-remove'));
  });
});
