import assert from 'node:assert/strict';
import { computePodSelection, pinEgressIP, selectPods } from '@static-egress/crds';
import { computeNodeState } from '../../packages/node-agent/src/desired/compute.js';
import { perDestinationAgentInput, policiesOfPod, selectionInput } from './per-destination-inputs.js';

describe('bench per-destination inputs', () => {
  it('each pod is selected by 2–3 policies, and (but for the wrap-around) none shares a destination prefix', () => {
    const input = perDestinationAgentInput(760, 1, 10_000, pinEgressIP);
    const byKey = new Map(input.policies.map((p) => [p.key, p]));
    let conflicted = 0;
    for (const keys of input.selection.values()) {
      assert.ok(keys.length === 2 || keys.length === 3);
      if (computePodSelection(keys.map((k) => byKey.get(k)!)).conflicts.length > 0) conflicted++;
    }
    assert.ok(conflicted < 100, `${conflicted} pods with an identical prefix`);
    assert.deepEqual(policiesOfPod(4, 760), [4, 5, 6]);
    assert.deepEqual(policiesOfPod(5, 760), [5, 6]);
  });

  it('with zones this node\'s pods pin only to the IPs held in its zone', () => {
    const input = perDestinationAgentInput(253, 3, 10_000, pinEgressIP);
    const state = computeNodeState(input);
    const holders = new Set(state.director.map((d) => input.policies.find((p) => p.key === d.policyKey)!.assignments.get(d.egressIP)));
    assert.deepEqual([...holders], ['gw-a']);
    assert.equal(state.director.length, 253);
  });

  it('the manager selection input selects every pod by 1, or by 2–3 policies', () => {
    for (const [perPod, expected] of [[1, 1_000], ['per-destination', 2_500]] as const) {
      const { policies, pods } = selectionInput(1_000, 1_000, perPod);
      const sel = selectPods(policies, pods, []);
      assert.equal(sel.size, 1_000);
      assert.equal([...sel.values()].reduce((n, s) => n + s.policyKeys.length, 0), expected);
    }
  });
});
