// Table tests of the leader's pass, in sample-controller's style: each case names a cluster, what
// the leader remembers and what the prober says, and the writes, Events and memory it must produce.
// `settle` plays the apiserver: it runs passes and stores the status they write on the objects.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { parseClusterView, type ClusterSnapshot, type EgressIPPool, type StaticEgressIP } from '@static-egress/crds';
import { computeManagerPass, emptyMemory, type ManagerMemory, type ManagerPass, type PassSettings, type ProbeHealth } from './pass.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const IP = '192.0.2.100';
const GRACE: PassSettings = { releaseGraceMs: 500 };

interface NodeOpts { notReady?: boolean; cordoned?: boolean }
const node = (name: string, ip: string, o: NodeOpts = {}): V1Node => ({
  metadata: { name },
  ...(o.cordoned ? { spec: { unschedulable: true } } : {}),
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: o.notReady ? 'False' : 'True' }] },
});
const policy = (name: string, ips: string[], createdAt: string, app = 'web'): StaticEgressIP => ({
  apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: 1, creationTimestamp: createdAt as unknown as Date },
  spec: { egressIPs: ips, podSelector: { matchLabels: { app } } },
} as StaticEgressIP);
const pod = (name: string, labels: Record<string, string>): V1Pod =>
  ({ metadata: { namespace: 'shop', name, uid: `uid-${name}`, labels }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running', podIP: '203.0.113.10' } });
const pool: EgressIPPool = {
  apiVersion: 'staticegress.io/v1alpha1', kind: 'EgressIPPool', metadata: { name: 'lan', generation: 1 },
  spec: { cidrs: [{ cidr: '192.0.2.96/27' }] },
} as EgressIPPool;

function cluster(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    policies: [policy('db', [IP], '2026-01-01T00:00:00Z')],
    pools: [pool],
    pods: [pod('web-1', { app: 'web' })],
    nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12')],
    services: [],
    namespaces: [{ metadata: { name: 'shop' } }] as V1Namespace[],
    ...over,
  };
}

/** Every node healthy; agents report holdings only where `held` says. */
function healthy(snap: ClusterSnapshot, held: Record<string, string[]> = {}, failed: string[] = []): ProbeHealth {
  return {
    verdicts: new Map(snap.nodes.map((n) => [n.metadata!.name!, !failed.includes(n.metadata!.name!)])),
    held: new Map(Object.entries(held).map(([n, ips]) => [n, new Set(ips)])),
  };
}

/** The apiserver after a pass: the status it wrote stored on the objects. */
function written(snap: ClusterSnapshot, pass: ManagerPass): ClusterSnapshot {
  const policies = snap.policies.map((p) => {
    const w = pass.statuses.find((s) => s.ref.name === p.metadata?.name && s.ref.namespace === p.metadata?.namespace);
    return w?.status ? { ...p, status: w.status } : p;
  });
  const pools = snap.pools.map((p) => {
    const w = pass.poolStatuses.find((s) => s.name === p.metadata?.name);
    return w ? { ...p, status: w.status } : p;
  });
  return { ...snap, policies, pools };
}

/** A leader that ran on `snap` until nothing changed: the cluster as it left it and its memory. */
function settle(snap: ClusterSnapshot, health = healthy(snap), now = T): { snap: ClusterSnapshot; memory: ManagerMemory } {
  let memory = emptyMemory;
  for (let i = 0; i < 5; i++) {
    const pass = computeManagerPass(parseClusterView(snap), memory, health, now, GRACE);
    snap = written(snap, pass);
    memory = pass.memory;
    if (pass.statuses.length === 0 && pass.poolStatuses.length === 0) return { snap, memory };
  }
  throw new Error('did not settle');
}

interface Summary {
  assignments: Record<string, string>;
  releasing: Record<string, string>;
  /** Policies whose status is written. */
  writes: string[];
  /** `policy Reason`. */
  events: string[];
  /** `pool allocated/assigned of capacity`. */
  pools: string[];
  requeueAfter: number | undefined;
  failovers: number;
}

function summarize(pass: ManagerPass): Summary {
  return {
    assignments: Object.fromEntries(pass.memory.previous ?? []),
    releasing: Object.fromEntries([...pass.memory.releasing].map(([ip, r]) => [ip, r.node])),
    writes: pass.statuses.filter((w) => w.status).map((w) => w.ref.name),
    events: pass.statuses.flatMap((w) => w.events.map((e) => `${w.ref.name} ${e.reason}`)),
    pools: pass.poolStatuses.map((p) => `${p.name} ${p.status.allocated}/${p.status.assigned} of ${p.status.capacity}`),
    requeueAfter: pass.requeueAfter,
    failovers: pass.counts.failovers,
  };
}

interface Case {
  name: string;
  /** The cluster, memory, health and time of the pass under test. */
  given: () => { snap: ClusterSnapshot; memory: ManagerMemory; health: ProbeHealth; now?: number };
  want: Partial<Summary>;
}

/** A leader settled with IP on n2 (n1 joined later), then `change` applied to the cluster. */
function onN2(change: (s: ClusterSnapshot) => ClusterSnapshot = (s) => s) {
  const first = settle(cluster({ nodes: [node('n2', '192.0.2.12')] }));
  const snap = change({ ...first.snap, nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12')] });
  return { snap, memory: first.memory };
}

/** One pass after `onN2` where n2 was cordoned: the IP is releasing from n2. */
function drainingN2(now: number) {
  const { snap, memory } = onN2((s) => ({ ...s, nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12', { cordoned: true })] }));
  const pass = computeManagerPass(parseClusterView(snap), memory, healthy(snap), now, GRACE);
  return { snap: written(snap, pass), memory: pass.memory };
}

const cases: Case[] = [
  {
    name: 'first pass: assigns, writes status and the pool status, with an Assigned Event',
    given: () => ({ snap: cluster(), memory: emptyMemory, health: healthy(cluster()) }),
    want: { assignments: { [IP]: 'n1' }, writes: ['db'], events: ['db EgressIPAssigned'], pools: ['lan 1/1 of 30'], requeueAfter: undefined },
  },
  {
    name: 'settled: nothing to write, nothing to say',
    given: () => ({ ...settle(cluster()), health: healthy(cluster()) }),
    want: { assignments: { [IP]: 'n1' }, writes: [], events: [], pools: [] },
  },
  {
    name: 'leader takeover: a new leader with no memory seeds from status, so nothing moves or repeats',
    given: () => ({ snap: onN2().snap, memory: emptyMemory, health: healthy(onN2().snap) }),
    want: { assignments: { [IP]: 'n2' }, writes: [], events: [], pools: [] },
  },
  {
    name: 'leader takeover: a new leader with no memory still writes status for what changed meanwhile',
    given: () => {
      const { snap } = onN2((s) => ({ ...s, nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12', { notReady: true })] }));
      return { snap, memory: emptyMemory, health: healthy(snap, {}, ['n2']) };
    },
    want: { assignments: { [IP]: 'n1' }, writes: ['db'], events: ['db EgressIPMoved'], failovers: 1 },
  },
  {
    name: 'drain: a cordoned holder releases the IP first, and the pass asks to look again after the grace',
    given: () => {
      const { snap, memory } = onN2((s) => ({ ...s, nodes: [node('n1', '192.0.2.11'), node('n2', '192.0.2.12', { cordoned: true })] }));
      return { snap, memory, health: healthy(snap), now: T + 1 };
    },
    want: { assignments: {}, releasing: { [IP]: 'n2' }, requeueAfter: 500, failovers: 0 },
  },
  {
    name: 'drain: an agent that does not report holdings is taken at its word after the grace',
    given: () => ({ ...drainingN2(T + 1), health: healthy(cluster()), now: T + 501 }),
    want: { assignments: { [IP]: 'n1' }, releasing: {}, requeueAfter: undefined, writes: ['db'] },
  },
  {
    name: 'drain: before the grace the IP stays released',
    given: () => ({ ...drainingN2(T + 1), health: healthy(cluster()), now: T + 400 }),
    want: { assignments: {}, releasing: { [IP]: 'n2' }, requeueAfter: 500 },
  },
  {
    name: 'drain: an agent that reports holdings confirms the release at once',
    given: () => ({ ...drainingN2(T + 1), health: healthy(cluster(), { n1: [], n2: [] }), now: T + 2 }),
    want: { assignments: { [IP]: 'n1' }, releasing: {} },
  },
  {
    name: 'drain: an agent still reporting the IP keeps it releasing past the grace',
    given: () => ({ ...drainingN2(T + 1), health: healthy(cluster(), { n1: [], n2: [IP] }), now: T + 10_000 }),
    want: { assignments: {}, releasing: { [IP]: 'n2' }, requeueAfter: 500 },
  },
  {
    name: 'node loss: a holder failing its probe loses the IP to a healthy node at once',
    given: () => {
      const { snap, memory } = settle(cluster());
      return { snap, memory, health: healthy(snap, {}, ['n1']) };
    },
    want: { assignments: { [IP]: 'n2' }, releasing: {}, writes: ['db'], events: ['db EgressIPMoved'], failovers: 1 },
  },
  {
    name: 'node loss: with no healthy node left the policy says there is no gateway',
    given: () => {
      const { snap, memory } = settle(cluster());
      return { snap, memory, health: healthy(snap, {}, ['n1', 'n2']) };
    },
    want: { assignments: {}, writes: ['db'], events: ['db EgressIPNoGateway'], pools: ['lan 1/0 of 30'] },
  },
  {
    name: 'an agent reporting an IP it was not given (from before a leader change) holds it up until it lets go',
    given: () => ({ snap: cluster(), memory: emptyMemory, health: healthy(cluster(), { n2: [IP] }) }),
    want: { assignments: {}, releasing: { [IP]: 'n2' }, requeueAfter: 500 },
  },
  {
    name: 'conflict: an IP claimed twice stays with the older policy; the younger gets IPConflict',
    given: () => {
      const snap = cluster({ policies: [policy('db', [IP], '2026-01-01T00:00:00Z'), policy('late', [IP], '2026-01-02T00:00:00Z', 'api')] });
      return { snap, memory: emptyMemory, health: healthy(snap) };
    },
    want: { assignments: { [IP]: 'n1' }, writes: ['db', 'late'], events: ['db EgressIPAssigned', 'late EgressIPConflict'], pools: ['lan 1/1 of 30'] },
  },
  {
    name: 'conflict: a pod selected by two policies with the same destination uses the older there; the younger gets PodConflict',
    given: () => {
      const snap = cluster({ policies: [policy('db', [IP], '2026-01-01T00:00:00Z'), policy('late', ['192.0.2.101'], '2026-01-02T00:00:00Z')] });
      return { snap, memory: emptyMemory, health: healthy(snap) };
    },
    want: {
      assignments: { [IP]: 'n1', '192.0.2.101': 'n2' },
      events: ['db EgressIPAssigned', 'late EgressIPPodConflict', 'late EgressIPAssigned'],
      pools: ['lan 2/2 of 30'],
    },
  },
  {
    name: 'per-destination: a pod selected by two policies with different destinations is no conflict (each applies to its own)',
    given: () => {
      const narrow = policy('late', ['192.0.2.101'], '2026-01-02T00:00:00Z');
      const snap = cluster({ policies: [policy('db', [IP], '2026-01-01T00:00:00Z'), { ...narrow, spec: { ...narrow.spec, destinationCIDRs: ['198.51.100.0/24'] } }] });
      return { snap, memory: emptyMemory, health: healthy(snap) };
    },
    want: { assignments: { [IP]: 'n1', '192.0.2.101': 'n2' }, events: ['db EgressIPAssigned', 'late EgressIPAssigned'] },
  },
  {
    name: 'an invalid policy gets the invalid-spec status and leaves the others alone',
    given: () => {
      const snap = cluster({ policies: [policy('db', [IP], '2026-01-01T00:00:00Z'), policy('bad', ['not-an-ip'], '2026-01-01T00:00:00Z')] });
      return { snap, memory: emptyMemory, health: healthy(snap) };
    },
    want: { assignments: { [IP]: 'n1' }, writes: ['db', 'bad'], events: ['db EgressIPAssigned', 'bad EgressIPInvalidSpec'] },
  },
];

describe('computeManagerPass', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { snap, memory, health, now } = c.given();
      const got = summarize(computeManagerPass(parseClusterView(snap), memory, health, now ?? T, GRACE));
      assert.deepEqual(pick(got, Object.keys(c.want) as (keyof Summary)[]), c.want);
    });
  }

  it('is pure: the same input gives the same pass, and the memory passed in is not changed', () => {
    const { snap, memory } = drainingN2(T + 1);
    const before = JSON.stringify([...memory.releasing]);
    const a = computeManagerPass(parseClusterView(snap), memory, healthy(snap), T + 2, GRACE);
    const b = computeManagerPass(parseClusterView(snap), memory, healthy(snap), T + 2, GRACE);
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify([...memory.releasing]), before);
  });
});

function pick<K extends keyof Summary>(s: Summary, keys: K[]): Pick<Summary, K> {
  return Object.fromEntries(keys.map((k) => [k, s[k]])) as Pick<Summary, K>;
}
