// Standby gateways (issue 16 §1): the SNAT of an IP this node may take over is programmed ahead,
// exactly as its holder's, without the address; a takeover then changes the address (and the guard's
// standby rule) only.
import assert from 'node:assert/strict';
import { modelOf } from '../plan/damage.js';
import { plan } from '../plan/plan.js';
import { planViolations } from '../plan/safety.js';
import { renderState } from '../render/state.js';
import { computeNodeState } from './compute.js';
import { RENDER_FIXTURE, fixtureInput } from './fixtures.js';
import type { NodeStateInput } from './types.js';

const API_IP = '192.0.2.102';

/** n2's view (holds db's .100; api's .102 is on n1 or, after the takeover, on n2). */
function n2(apiHolder: string, over: Partial<NodeStateInput> = {}): NodeStateInput {
  const base = fixtureInput({ nodeName: 'n2', nodeIP: '192.0.2.12', standbyFor: (ip) => ip === API_IP, ...over });
  return { ...base, policies: base.policies.map((p) => (p.key === 'shop/api' ? { ...p, assignments: new Map([[API_IP, apiHolder]]) } : p)) };
}

describe('standby gateways (computeNodeState, render)', () => {
  it('stands by for an IP it may take over: every pod of the policy in its SNAT, no address, no leak guard', () => {
    const s = computeNodeState(n2('n1'));
    assert.deepEqual(s.standby?.map((g) => [g.policyKey, g.egressIP, g.podIPs]), [['shop/api', API_IP, ['203.0.113.35', '203.0.113.97']]]);
    assert.deepEqual(s.gateway.map((g) => g.egressIP), ['192.0.2.100']);
    assert.deepEqual(s.addresses, ['192.0.2.100']);
    assert.ok(!s.leakGuard.some((g) => g.policyKey === 'shop/api'), 'the standby set covers every api pod');
    const without = computeNodeState(n2('n1', { standbyFor: undefined }));
    assert.equal(without.standby, undefined);
    assert.ok(without.leakGuard.some((g) => g.policyKey === 'shop/api'), 'without standby the leak guard drops them');
  });

  it('a takeover changes the address and the guard\'s standby rule only: no set, chain, rule or route', () => {
    const before = renderState(computeNodeState(n2('n1')), RENDER_FIXTURE);
    const after = renderState(computeNodeState(n2('n2')), RENDER_FIXTURE);
    assert.deepEqual(after.ipsets, before.ipsets);
    assert.deepEqual(after.iptables, before.iptables);
    assert.deepEqual([after.rules, after.routes], [before.rules, before.routes]);
    assert.deepEqual(after.addresses.map((a) => a.ip), ['192.0.2.100', API_IP]);
    assert.deepEqual(before.addresses.map((a) => a.ip), ['192.0.2.100']);
    const standbyRule = `add rule ip segress_guard out ip saddr ${API_IP} fib saddr type != local drop`;
    assert.ok(before.guard!.text.includes(standbyRule));
    assert.ok(!after.guard!.text.includes(standbyRule), 'a held IP leaves while its self-fence withholds the address');
    assert.equal(before.guard!.text.replace(`${standbyRule}\n`, '').replace(/comment "[0-9a-f]+"/, ''), after.guard!.text.replace(/comment "[0-9a-f]+"/, ''));
  });

  it('the takeover\'s plan: lease, address, GARP first; the guard after them; no iptables or set write', () => {
    const before = renderState(computeNodeState(n2('n1')), RENDER_FIXTURE);
    const after = renderState(computeNodeState(n2('n2')), RENDER_FIXTURE);
    const have = { ...modelOf(before), lease: { guard: true, owned: new Set(['192.0.2.100', '192.0.2.101', API_IP, '192.0.2.103']), leased: new Set(['192.0.2.100']) } };
    const lease = { guarded: ['192.0.2.100', '192.0.2.101', API_IP, '192.0.2.103'], claim: true, ms: 250 };
    const p = plan(after, have, { render: RENDER_FIXTURE, inPlaceMembers: true, knownAddresses: new Set(['192.0.2.100']), lease });
    assert.deepEqual(p.ops.map((o) => o.op), ['lease-claim', 'address-add', 'garp', 'conntrack-forget', 'guard-apply']);
    assert.deepEqual(planViolations(p.ops, have, after, RENDER_FIXTURE), []);
  });

  it('the SNAT and the guard drop the standby\'s pods to anything but the egress IP, as a holder\'s', () => {
    const g = renderState(computeNodeState(n2('n1')), RENDER_FIXTURE);
    assert.ok(g.iptables.nat.get('SEGRESS-S-C0000266')?.includes(`-A SEGRESS-S-C0000266 -j SNAT --to-source ${API_IP}`));
    assert.match(g.guard!.text, new RegExp(`ct original ip saddr \\{ 203\\.0\\.113\\.35, 203\\.0\\.113\\.97 \\} ct original ip daddr != 203\\.0\\.113\\.0/24 ip saddr != ${API_IP.replaceAll('.', '\\.')} drop`));
  });

  it('a local pod of the policy stays redirected to the holder (marked: never SNATed here)', () => {
    // n3 runs api-2; it stands by for api's IP held by n1
    const base = fixtureInput({ nodeName: 'n3', nodeIP: '192.0.2.13', standbyFor: (ip) => ip === API_IP });
    const s = computeNodeState(base);
    assert.deepEqual(s.standby?.map((g) => g.egressIP), [API_IP]);
    const d = s.director.find((x) => x.egressIP === API_IP);
    assert.deepEqual(d?.podIPs, ['203.0.113.97']);
    assert.ok(s.directorClasses.some((c) => c.pins.some((p) => p.egressIP === API_IP && p.kind === 'director')));
  });

  it('no standby for a policy with an IP held here, none while fenced, none without pods', () => {
    // n2 holds db's .100: db's .101 (on n3) is no standby even if n2 may hold it
    const s = computeNodeState(n2('n1', { standbyFor: () => true }));
    assert.deepEqual(s.standby?.map((g) => g.egressIP), [API_IP, '192.0.2.103']);
    assert.equal(computeNodeState(n2('n1', { fenced: true })).standby, undefined);
    const noPods = n2('n1');
    assert.equal(computeNodeState({ ...noPods, selection: new Map() }).standby, undefined);
  });

  it('standing by for several IPs of one policy: each set holds the pods pinned to it, and the leak guard stays', () => {
    const base = fixtureInput({ nodeName: 'n4', nodeIP: '192.0.2.14', standbyFor: () => true });
    const s = computeNodeState(base);
    const db = s.standby?.filter((g) => g.policyKey === 'shop/db').map((g) => [g.egressIP, g.podIPs]);
    // pinFirst pins every db pod to .100
    assert.deepEqual(db, [['192.0.2.100', ['203.0.113.33', '203.0.113.34', '203.0.113.65']], ['192.0.2.101', []]]);
    assert.ok(s.leakGuard.some((g) => g.policyKey === 'shop/db'));
    assert.deepEqual(s.addresses, []);
  });
});
