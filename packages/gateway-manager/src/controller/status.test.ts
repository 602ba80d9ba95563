import assert from 'node:assert/strict';
import type { StaticEgressIPStatus } from '@static-egress/crds';
import { computeInvalidPolicyStatus, computePolicyStatus, type PolicyStatusInput } from './status.js';

const T0 = new Date('2025-01-01T00:00:00.123Z');
const T1 = new Date('2025-01-01T00:05:00Z');

function input(over: Partial<PolicyStatusInput> = {}): PolicyStatusInput {
  return {
    policy: { key: 'shop/db', generation: 3 },
    current: undefined,
    authorization: [{ ip: '192.0.2.101', pool: 'lan' }, { ip: '192.0.2.100', pool: 'lan' }],
    assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n2']]),
    unassigned: [],
    moves: [],
    podConflicts: [],
    now: T0,
    ...over,
  };
}

const cond = (s: StaticEgressIPStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('computePolicyStatus', () => {
  it('reports sorted assignments, observedGeneration and Ready/Assigned/Conflict', () => {
    const { status, changed, events } = computePolicyStatus(input());
    assert.equal(changed, true);
    assert.equal(status.observedGeneration, 3);
    assert.deepEqual(status.assignments, [{ egressIP: '192.0.2.100', node: 'n1' }, { egressIP: '192.0.2.101', node: 'n2' }]);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]),
      [
        ['Ready', 'True', 'Ready', 3, '2025-01-01T00:00:00Z'],
        ['Assigned', 'True', 'Assigned', 3, '2025-01-01T00:00:00Z'],
        ['Conflict', 'False', 'NoConflict', 3, '2025-01-01T00:00:00Z'],
      ],
    );
    assert.deepEqual(events.map((e) => e.reason), ['EgressIPAssigned', 'EgressIPAssigned']);
  });

  it('writes and emits nothing when nothing changed, and keeps lastTransitionTime', () => {
    const first = computePolicyStatus(input());
    const again = computePolicyStatus(input({ current: first.status, now: T1 }));
    assert.equal(again.changed, false);
    assert.deepEqual(again.events, []);
    assert.equal(cond(again.status, 'Ready')?.lastTransitionTime, '2025-01-01T00:00:00Z');
  });

  it('keeps lastTransitionTime when only the message changes, moves it when the status flips', () => {
    const first = computePolicyStatus(input());
    const moved = computePolicyStatus(input({
      current: first.status,
      assignments: new Map([['192.0.2.100', 'n3'], ['192.0.2.101', 'n2']]),
      nodeProblems: new Map([['n1', 'the agent on n1 stopped answering its health probe']]),
      now: T1,
    }));
    assert.equal(moved.changed, true);
    assert.equal(cond(moved.status, 'Assigned')?.lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.deepEqual(moved.events, [{
      type: 'Warning',
      reason: 'EgressIPMoved',
      message: 'egress IP 192.0.2.100 failed over from n1 to n3: the agent on n1 stopped answering its health probe',
    }]);
    const lost = computePolicyStatus(input({
      current: moved.status,
      assignments: new Map(),
      unassigned: [
        { ip: '192.0.2.100', policyKey: 'shop/db', reason: 'NoGatewayAvailable' },
        { ip: '192.0.2.101', policyKey: 'shop/db', reason: 'NoGatewayAvailable' },
      ],
      now: T1,
    }));
    const assigned = cond(lost.status, 'Assigned');
    assert.equal(assigned?.status, 'False');
    assert.equal(assigned?.reason, 'NoGatewayAvailable');
    assert.equal(assigned?.lastTransitionTime, '2025-01-01T00:05:00Z');
    assert.equal(cond(lost.status, 'Ready')?.reason, 'NoGatewayAvailable');
    assert.deepEqual(lost.events.map((e) => e.reason), ['EgressIPNoGateway', 'EgressIPNoGateway']);
  });

  it('turns each IP problem into Ready=False, a Conflict where it is one, and one Event the first time', () => {
    const authorization = [
      { ip: '192.0.2.100', pool: 'lan' },
      { ip: '192.0.2.101', pool: 'lan', problem: { reason: 'IPConflict', message: 'egress IP 192.0.2.101 is already claimed by the older StaticEgressIP shop/old; the older policy keeps it' } },
      { ip: '10.9.9.9', problem: { reason: 'IPNotAuthorized', message: 'egress IP 10.9.9.9 is not in any EgressIPPool' } },
    ];
    const res = computePolicyStatus(input({ authorization, assignments: new Map([['192.0.2.100', 'n1'], ['192.0.2.101', 'n9']]) }));
    assert.deepEqual(res.status.assignments, [{ egressIP: '192.0.2.100', node: 'n1' }], 'a contested IP is not reported as ours');
    assert.equal(cond(res.status, 'Ready')?.reason, 'IPNotAuthorized');
    assert.match(cond(res.status, 'Ready')!.message, /10\.9\.9\.9.*192\.0\.2\.101/);
    assert.equal(cond(res.status, 'Conflict')?.status, 'True');
    assert.equal(cond(res.status, 'Conflict')?.reason, 'IPConflict');
    assert.deepEqual(res.events.map((e) => [e.type, e.reason]), [
      ['Warning', 'EgressIPNotAuthorized'],
      ['Warning', 'EgressIPConflict'],
      ['Normal', 'EgressIPAssigned'],
    ]);
    const again = computePolicyStatus(input({ authorization, current: res.status, assignments: new Map([['192.0.2.100', 'n1']]) }));
    assert.deepEqual(again.events, []);
  });

  it('reports pods whose destination an older policy takes as a PodConflict without making the policy unready', () => {
    const res = computePolicyStatus(input({ podConflicts: [{ winner: 'shop/old', pods: ['shop/web-1', 'shop/web-2'], destinations: ['0.0.0.0/0'] }] }));
    assert.equal(cond(res.status, 'Ready')?.status, 'True');
    const c = cond(res.status, 'Conflict');
    assert.equal(c?.reason, 'PodConflict');
    assert.match(c!.message, /shop\/web-1, shop\/web-2 are also selected by shop\/old for the same destination 0\.0\.0\.0\/0, which takes precedence/);
    assert.ok(res.events.some((e) => e.reason === 'EgressIPPodConflict'));
    const more = computePolicyStatus(input({ current: res.status, podConflicts: [{ winner: 'shop/old', pods: ['shop/web-1', 'shop/web-2', 'shop/web-3'], destinations: ['0.0.0.0/0'] }] }));
    assert.equal(more.changed, true);
    assert.deepEqual(more.events, [], 'the same conflict with one more pod is no new Event');
  });

  it('says a drained IP is being released, then moved', () => {
    const first = computePolicyStatus(input());
    const draining = computePolicyStatus(input({
      current: first.status,
      assignments: new Map([['192.0.2.101', 'n2']]),
      unassigned: [{ ip: '192.0.2.100', policyKey: 'shop/db', reason: 'Draining', node: 'n1' }],
      nodeProblems: new Map([['n1', 'Node n1 is cordoned']]),
    }));
    assert.equal(cond(draining.status, 'Assigned')?.reason, 'PartiallyAssigned');
    assert.match(cond(draining.status, 'Assigned')!.message, /192\.0\.2\.100 is being released by n1/);
    assert.deepEqual(draining.events.map((e) => e.reason), ['EgressIPReleased']);
    const moved = computePolicyStatus(input({
      current: draining.status,
      assignments: new Map([['192.0.2.100', 'n3'], ['192.0.2.101', 'n2']]),
      moves: [{ ip: '192.0.2.100', policyKey: 'shop/db', from: 'n1', to: 'n3', kind: 'handover' }],
    }));
    assert.deepEqual(moved.events, [{ type: 'Normal', reason: 'EgressIPMoved', message: 'egress IP 192.0.2.100 moved from n1 to n3 after n1 released it' }]);
  });

  it('keeps conditions it does not own (Programmed)', () => {
    const current: StaticEgressIPStatus = {
      conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed', message: 'ok', lastTransitionTime: '2024-01-01T00:00:00Z' }],
    };
    const res = computePolicyStatus(input({ current }));
    assert.deepEqual(res.status.conditions?.map((c) => c.type), ['Ready', 'Assigned', 'Conflict', 'Programmed']);
  });

  it('marks an unparsable policy InvalidSpec once', () => {
    const res = computeInvalidPolicyStatus({ generation: 2, current: undefined, message: 'spec.egressIPs[0]: not an IPv4 address', now: T0 });
    assert.equal(cond(res.status, 'Ready')?.reason, 'InvalidSpec');
    assert.deepEqual(res.status.assignments, []);
    assert.deepEqual(res.events.map((e) => e.reason), ['EgressIPInvalidSpec']);
    const again = computeInvalidPolicyStatus({ generation: 2, current: res.status, message: 'spec.egressIPs[0]: not an IPv4 address', now: T1 });
    assert.equal(again.changed, false);
    assert.deepEqual(again.events, []);
  });

  it('sets Programmed when the agents\' reports are read, and carries it over when they are not', () => {
    const programmed = { status: 'False' as const, reason: 'NotProgrammed', message: 'gateway n2 does not hold 192.0.2.101 yet' };
    const first = computePolicyStatus(input({ programmed }));
    assert.deepEqual({ ...cond(first.status, 'Programmed'), lastTransitionTime: undefined },
      { type: 'Programmed', ...programmed, observedGeneration: 3, lastTransitionTime: undefined });
    const carried = computePolicyStatus(input({ current: first.status, now: T1 }));
    assert.equal(cond(carried.status, 'Programmed')?.message, programmed.message);
    assert.equal(carried.changed, false);
    const fixed = computePolicyStatus(input({ current: first.status, now: T1, programmed: { status: 'True', reason: 'Programmed', message: 'ok' } }));
    assert.equal(cond(fixed.status, 'Programmed')?.status, 'True');
    assert.equal(fixed.status.conditions?.filter((c) => c.type === 'Programmed').length, 1);
    assert.equal(fixed.changed, true);
  });
});
