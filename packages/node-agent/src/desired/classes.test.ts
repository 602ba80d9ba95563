// Pod classes: one director set and one leak-guard set per pod, however many policies select it.
import assert from 'node:assert/strict';
import { computeNodeState } from './compute.js';
import { fixtureInput, perDestinationInput } from './fixtures.js';
import { stableIds } from './classes.js';

const classOf = <T extends { podIPs: string[] }>(classes: T[], ip: string): T[] => classes.filter((c) => c.podIPs.includes(ip));

describe('pod classes', () => {
  it('local pods with the same pins share one director set; claims alone need none', () => {
    const st = computeNodeState(fixtureInput());
    // web-1 and web-2 (db, pinned to .100 held by n2) share one; job-1 (dark, no gateway) has its own
    assert.deepEqual(st.directorClasses.map((c) => c.podIPs.join(' ')).sort(), ['203.0.113.33 203.0.113.34', '203.0.113.36']);
    // api-1's only policy is held here: it leaves through this node's SNAT, no director set
    assert.equal(classOf(st.directorClasses, '203.0.113.35').length, 0);
    // remote pods are never in a director set
    assert.equal(classOf(st.directorClasses, '203.0.113.65').length, 0);
  });

  it('a pod selected by two policies is in one director set and one guard set, with both pins', () => {
    const st = computeNodeState(perDestinationInput());
    const [c, ...more] = classOf(st.directorClasses, '203.0.113.33');
    assert.equal(more.length, 0);
    assert.deepEqual(c!.pins, [
      { policyKey: 'shop/api', egressIP: '192.0.2.102', kind: 'claim' },
      { policyKey: 'shop/db', egressIP: '192.0.2.100', kind: 'director' },
    ]);
    assert.equal(classOf(st.guardClasses, '203.0.113.33').length, 1);
    // before classes: a director set per egress IP and a guard set per policy, each holding the pod
    const members = [...st.directorClasses, ...st.guardClasses].reduce((n, x) => n + x.podIPs.length, 0);
    const podsWithSets = new Set([...st.directorClasses, ...st.guardClasses].flatMap((x) => x.podIPs));
    assert.ok(members <= 2 * podsWithSets.size, `${members} members for ${podsWithSets.size} pods`);
  });

  it('every guarded policy is reached by the guard classes of exactly its pods, every director entry by its pins', () => {
    const input = fixtureInput();
    const st = computeNodeState(input);
    const podsOf = (policyKey: string) => input.pods.filter((p) => p.podIP && input.selection.get(p.key)?.includes(policyKey)).map((p) => p.podIP!).sort();
    for (const g of st.leakGuard) {
      const reached = st.guardClasses.filter((c) => c.guards.includes(g.id)).flatMap((c) => c.podIPs).sort();
      assert.deepEqual(reached, podsOf(g.policyKey), g.policyKey);
    }
    for (const d of st.director) {
      const reached = st.directorClasses.filter((c) => c.pins.some((p) => p.egressIP === d.egressIP && p.kind === 'director')).flatMap((c) => c.podIPs).sort();
      assert.deepEqual(reached, [...d.podIPs].sort(), d.egressIP);
    }
  });

  it('class ids stay put when an unrelated pod comes (the kernel set is changed in place)', () => {
    const a = computeNodeState(fixtureInput());
    const input = fixtureInput();
    const b = computeNodeState(fixtureInput({
      pods: [...input.pods, { key: 'shop/web-9', uid: 'u-web-9', nodeName: 'n1', podIP: '203.0.113.40' }],
      selection: new Map([...input.selection, ['shop/web-9', ['shop/db']]]),
    }));
    assert.deepEqual(b.directorClasses.map((c) => c.id), a.directorClasses.map((c) => c.id));
    assert.deepEqual(b.guardClasses.map((c) => c.id), a.guardClasses.map((c) => c.id));
    assert.ok(classOf(b.directorClasses, '203.0.113.40')[0]!.podIPs.includes('203.0.113.33'));
  });

  it('stableIds: one id per key, distinct, the same for the same key', () => {
    const ids = stableIds(['a', 'b', 'c']);
    assert.equal(new Set(ids.values()).size, 3);
    assert.equal(stableIds(['b']).get('b'), ids.get('b'));
    assert.match(ids.get('a')!, /^[0-9a-f]{10}$/);
  });
});
