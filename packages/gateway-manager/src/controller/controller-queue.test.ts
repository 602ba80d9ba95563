// The controller's writes drain behind its passes (issue 16 §4): a pass does not wait for an older
// pass's writes, the status that moves an egress IP goes before thousands of condition-only ones,
// a newer status replaces a queued older one, and a cache that lags behind the leader's own writes
// causes neither a second write nor a second Event.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Node } from '@kubernetes/client-node';
import { FakeClock, type ClusterSources } from '@static-egress/controller-kit';
import type { EgressIPPool, StaticEgressIP } from '@static-egress/crds';
import { Controller, type HealthSource } from './controller.js';
import type { EventRecorder, StatusWriter } from './kube-writer.js';
import type { PolicyEvent } from './status.js';

const T0 = Date.parse('2026-01-01T00:00:01Z');
const seip = (name: string, ip: string, generation = 1): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
  spec: { egressIPs: [ip], podSelector: { matchLabels: { app: name } } },
} as StaticEgressIP);
// 200 policies in a pool no node qualifies for (they stay unassigned: conditions only), one the lab can hold
const unplaceable = Array.from({ length: 200 }, (_, i) => seip(`far-${i}`, `2001:db8:e::${(i + 1).toString(16)}`));
const pools = [
  { apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'lan', generation: 1 }, spec: { cidrs: [{ cidr: '192.0.2.0/24' }] } },
  { apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'far', generation: 1 },
    spec: { cidrs: [{ cidr: '2001:db8:e::/112' }], nodeSelector: { matchLabels: { none: 'x' } } } },
] as EgressIPPool[];
const nodes: V1Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }], conditions: [{ type: 'Ready', status: 'True' }] } }];

function informer(items: unknown[]) {
  const handlers = new Set<() => void>();
  return { items, list: () => items, get: () => undefined, on: (_: string, fn: () => void) => { handlers.add(fn); return () => handlers.delete(fn); },
    change: () => { for (const fn of handlers) fn(); } };
}

/** Status writes that finish when the test releases them; Events recorded at once. */
function setup(policies: StaticEgressIP[]) {
  const clock = new FakeClock(T0);
  const pols = informer(policies);
  const sources = {
    policies: pols, clusterPolicies: informer([]), pools: informer(pools), nodes: informer(nodes), pods: informer([]),
    services: informer([]), namespaces: informer([{ metadata: { name: 'shop' } }] as V1Namespace[]),
  } as unknown as ClusterSources;
  const gate = { open: false, waiting: [] as (() => void)[] };
  const writes: { name: string; nodes: string[]; ips: string[]; generation: number | undefined }[] = [];
  const status: StatusWriter = {
    applyPolicyStatus: async (ref, st) => {
      if (!gate.open) await new Promise<void>((r) => gate.waiting.push(r));
      const held = st.assignments ?? [];
      writes.push({ name: ref.name, nodes: held.map((a) => a.node), ips: held.map((a) => a.egressIP), generation: st.observedGeneration });
    },
    applyPoolStatus: async () => {},
  };
  const events: { name: string; ev: PolicyEvent }[] = [];
  const recorder: EventRecorder = { applyEvent: async (ref, ev) => { events.push({ name: ref.name, ev }); } };
  const up = new Map(nodes.map((n) => [n.metadata!.name!, true]));
  const health: HealthSource = { setTargets: () => {}, health: () => up, held: () => undefined };
  let passes = 0;
  const counting: HealthSource = { ...health, setTargets: () => { passes++; } };
  const c = new Controller({ sources, status, events: recorder, health: counting, clock, writeConcurrency: 4 });
  const release = async () => {
    gate.open = true;
    for (const r of gate.waiting.splice(0)) r();
    await clock.advanceAsync(0);
  };
  return { c, clock, pols, writes, events, release, up, passes: () => passes };
}

/** A controller over two nodes, n1 down; the policy's cached status says n1 holds its IP (resourceVersion `rv`). */
function failoverSetup() {
  const t = setup([]);
  const heldBy = (node: string, rv: string) => ({ ...seip('lab', '192.0.2.100'), metadata: { ...seip('lab', '192.0.2.100').metadata, resourceVersion: rv },
    status: { observedGeneration: 1, assignments: [{ egressIP: '192.0.2.100', node }] } }) as StaticEgressIP;
  return { ...t, heldBy };
}

describe('Controller write queue (issue 16 §4)', () => {
  it('the same move again (a flapping node) is recorded again', async () => {
    const two: V1Node[] = ['n1', 'n2'].map((n, i) => ({ metadata: { name: n }, status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${11 + i}` }], conditions: [{ type: 'Ready', status: 'True' }] } }));
    nodes.splice(0, nodes.length, ...two);
    try {
      const t = failoverSetup();
      await t.release();
      t.pols.items.push(t.heldBy('n1', '1'));
      await t.c.sync(); // n1 is "up" in this fake: nothing moves yet
      t.up.set('n1', false);
      for (const rv of ['2', '3']) {
        t.pols.items[0] = t.heldBy('n1', rv); // the status says n1 again (another writer, a restore): a new object version
        await t.c.sync();
      }
      const moved = t.events.filter((e) => e.ev.reason === 'EgressIPMoved');
      assert.equal(moved.length, 2, 'each failover from n1 to n2 is an Event');
      assert.match(moved[1]!.ev.message, /from n1 to n2/);
    } finally {
      nodes.splice(0, nodes.length, { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }], conditions: [{ type: 'Ready', status: 'True' }] } });
    }
  });

  it('a later pass runs while the first pass\'s writes still drain, and the moved assignment goes first', async () => {
    const t = setup(unplaceable);
    t.c.start();
    await t.clock.advanceAsync(0);
    assert.equal(t.passes(), 1);
    // 200 condition-only statuses queued, 4 in flight and stuck; now a policy the lab can hold arrives
    t.pols.items.push(seip('lab', '192.0.2.100'));
    t.pols.change();
    await t.clock.advanceAsync(0);
    assert.equal(t.passes(), 2, 'the second pass did not wait for the first one\'s writes');
    await t.release();
    await t.c.sync(); // drains
    assert.equal(t.writes[4]!.name, 'lab', 'right after the 4 that were in flight');
    assert.deepEqual(t.writes[4]!.nodes, ['n1']);
    assert.equal(t.writes.length, 201, 'each status written once: the lagging cache caused no rewrite');
    await t.c.stop();
  });

  it('a newer status replaces a queued older one; passes over a lagging cache repeat neither writes nor Events', async () => {
    const t = setup([...unplaceable.slice(0, 10), seip('lab', '192.0.2.100')]);
    t.c.start();
    await t.clock.advanceAsync(0);
    // the lab policy's status (data path) and far-0..2 are in flight; far-9's waits. Both specs change twice meanwhile.
    for (const [g, ip] of [[2, '192.0.2.101'], [3, '192.0.2.102']] as const) {
      t.pols.items[10] = seip('lab', ip, g);
      t.pols.items[9] = seip('far-9', '2001:db8:e::a', g);
      t.pols.change();
      await t.clock.advanceAsync(1_000);
    }
    for (let i = 0; i < 3; i++) {
      t.pols.change(); // passes over the same cache (it never shows the leader's writes here)
      await t.clock.advanceAsync(1_000);
    }
    await t.release();
    await t.c.sync();
    assert.deepEqual(t.writes.filter((w) => w.name === 'far-9').map((w) => w.generation), [3], 'one write: the newest status replaced the queued ones');
    assert.deepEqual(t.writes.filter((w) => w.name === 'lab').map((w) => w.ips), [['192.0.2.100'], ['192.0.2.102']], 'the one in flight, then the newest');
    const noGateway = t.events.filter((e) => e.ev.reason === 'EgressIPNoGateway');
    assert.equal(noGateway.length, 10, 'one Event per unassignable policy, not one per pass');
    await t.c.stop();
  });
});
