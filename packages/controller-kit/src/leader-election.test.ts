import assert from 'node:assert/strict';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { FakeClock } from './clock.js';
import { LeaderElector, type LeaseClient } from './leader-election.js';

/** An in-memory Lease with real resourceVersion checks, reached through per-process clients. */
class FakeLeaseStore {
  lease: V1Lease | undefined;
  private rv = 0;
  /** Identities whose requests fail (partitioned from the API server). */
  readonly partitioned = new Set<string>();
  /** Identities whose requests never answer. */
  readonly hung = new Set<string>();
  /** Every request, as `identity verb`. */
  readonly requests: string[] = [];

  /** Another writer edits the record (a new resourceVersion), e.g. `kubectl annotate`. */
  touch(spec: Partial<NonNullable<V1Lease['spec']>> = {}): void {
    this.lease = { ...this.lease, metadata: { ...this.lease?.metadata, resourceVersion: String(++this.rv) }, spec: { ...this.lease?.spec, ...spec } };
  }

  client(identity: string): LeaseClient {
    const gate = async (verb: string) => {
      this.requests.push(`${identity} ${verb}`);
      if (this.hung.has(identity)) await new Promise(() => {});
      if (this.partitioned.has(identity)) throw new Error('connect ECONNREFUSED');
    };
    // JSON round trips mimic the wire: times come back as strings, as from the real API.
    const wire = (l: V1Lease): V1Lease => JSON.parse(JSON.stringify(l)) as V1Lease;
    return {
      readNamespacedLease: async () => {
        await gate('read');
        if (!this.lease) throw new ApiException(404, 'not found', {}, {});
        return wire(this.lease);
      },
      createNamespacedLease: async ({ body }) => {
        await gate('create');
        if (this.lease) throw new ApiException(409, 'already exists', {}, {});
        this.lease = wire({ ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } });
        return wire(this.lease);
      },
      replaceNamespacedLease: async ({ body }) => {
        await gate('replace');
        if (!this.lease) throw new ApiException(404, 'not found', {}, {});
        if (body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
          throw new ApiException(409, 'conflict', {}, {});
        }
        this.lease = wire({ ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } });
        return wire(this.lease);
      },
    };
  }

  holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }
}

interface Candidate {
  elector: LeaderElector;
  /** [start, stop) leadership intervals by the fake clock. */
  terms: Array<[number, number | undefined]>;
}

function candidate(store: FakeLeaseStore, clock: FakeClock, identity: string): Candidate {
  const terms: Candidate['terms'] = [];
  const elector = new LeaderElector({
    api: store.client(identity),
    namespace: 'static-egress-system',
    name: 'static-egress-manager',
    identity,
    clock,
    onStartedLeading: () => void terms.push([clock.now(), undefined]),
    onStoppedLeading: () => {
      const last = terms.at(-1);
      assert.ok(last && last[1] === undefined, `${identity} stopped without leading`);
      last[1] = clock.now();
    },
  });
  return { elector, terms };
}

/** Advances in small steps, failing if both ever lead at the same instant. */
/** `a` starts first and leads; `b` starts right after and stands by; 1 s has passed. */
async function aLeadsBStandsBy(): Promise<{ store: FakeLeaseStore; clock: FakeClock; a: Candidate; b: Candidate }> {
  const store = new FakeLeaseStore();
  const clock = new FakeClock(0);
  const a = candidate(store, clock, 'a');
  const b = candidate(store, clock, 'b');
  a.elector.start();
  await clock.advanceAsync(0);
  b.elector.start();
  await run(clock, 1_000, [a, b]);
  return { store, clock, a, b };
}

async function run(clock: FakeClock, ms: number, cs: Candidate[]): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    await clock.advanceAsync(50);
    const leaders = cs.filter((c) => c.elector.isLeader()).length;
    assert.ok(leaders <= 1, `two leaders at ${clock.now()}`);
  }
}

function assertDisjoint(a: Candidate, b: Candidate): void {
  for (const [s1, e1] of a.terms) {
    for (const [s2, e2] of b.terms) {
      const overlap = s1 < (e2 ?? Infinity) && s2 < (e1 ?? Infinity);
      assert.ok(!overlap, `terms overlap: [${s1},${e1}) and [${s2},${e2})`);
    }
  }
}

describe('LeaderElector', () => {
  it('exactly one of two candidates leads, and it keeps renewing', async () => {
    const store = new FakeLeaseStore();
    const clock = new FakeClock(0);
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    b.elector.start();
    await run(clock, 10_000, [a, b]);
    assert.equal(a.elector.isLeader() !== b.elector.isLeader(), true);
    const leader = a.elector.isLeader() ? 'a' : 'b';
    assert.equal(store.holder(), leader);
    assert.equal(a.elector.leader(), leader);
    assert.equal(b.elector.leader(), leader);
    assert.equal(store.lease?.spec?.leaseTransitions, 0);
    assert.equal(a.terms.length + b.terms.length, 1);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('a leader renews with one request (no read) until the record changes under it (issue 16 §4)', async () => {
    const store = new FakeLeaseStore();
    const clock = new FakeClock(0);
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await run(clock, 1_000, [a]);
    assert.ok(a.elector.isLeader());
    store.requests.length = 0;
    await run(clock, 5_000, [a]);
    assert.ok(store.requests.length >= 8, `renewed ${store.requests.length} times in 5 s`);
    assert.deepEqual(new Set(store.requests), new Set(['a replace']));
    // someone else edits the record: a conflict, then a read, and the term goes on
    store.touch();
    store.requests.length = 0;
    await run(clock, 1_000, [a]);
    assert.deepEqual(store.requests.slice(0, 3), ['a replace', 'a read', 'a replace']);
    assert.ok(a.elector.isLeader());
    assert.equal(a.terms.length, 1);
    // another holder took it: the next renewal conflicts, the read shows it, a steps down
    store.touch({ holderIdentity: 'b' });
    await run(clock, 1_000, [a]);
    assert.equal(a.elector.isLeader(), false);
    assert.equal(store.holder(), 'b');
    await a.elector.stop();
  });

  it('the standby takes over after the leader stops renewing, never overlapping', async () => {
    const store = new FakeLeaseStore();
    const clock = new FakeClock(0);
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await clock.advanceAsync(0);
    assert.ok(a.elector.isLeader());
    const b = candidate(store, clock, 'b');
    b.elector.start();
    await run(clock, 2_000, [a, b]);
    assert.ok(!b.elector.isLeader());

    const cut = clock.now();
    store.partitioned.add('a');
    await run(clock, 5_000, [a, b]);
    assert.ok(!a.elector.isLeader());
    assert.ok(b.elector.isLeader());
    assert.equal(store.holder(), 'b');
    assert.equal(store.lease?.spec?.leaseTransitions, 1);
    const [aStart, aStop] = a.terms[0] ?? [];
    const [bStart] = b.terms[0] ?? [];
    assert.equal(aStart, 0);
    assert.ok(aStop !== undefined && aStop <= cut + 2_000, `a stepped down at ${aStop}`);
    assert.ok(bStart !== undefined && bStart >= cut + 3_000 - 500 && bStart <= cut + 3_000 + 1_000, `b took over at ${bStart}`);

    // a comes back: it must see b's lease and stay a standby.
    store.partitioned.delete('a');
    await run(clock, 5_000, [a, b]);
    assert.ok(b.elector.isLeader());
    assert.ok(!a.elector.isLeader());
    assertDisjoint(a, b);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('a leader whose requests hang steps down by its renew deadline', async () => {
    const { store, clock, a, b } = await aLeadsBStandsBy();
    store.hung.add('a');
    await run(clock, 6_000, [a, b]);
    assert.ok(b.elector.isLeader());
    assertDisjoint(a, b);
    assert.ok((a.terms[0]?.[1] ?? Infinity) <= (b.terms[0]?.[0] ?? 0) - 500);
    await b.elector.stop();
  });

  it('judges expiry by its own observation, not the holder\'s clock', async () => {
    const store = new FakeLeaseStore();
    const clock = new FakeClock(0);
    // A dead holder whose clock ran an hour ahead: renewTime is in our future.
    store.lease = {
      metadata: { name: 'static-egress-manager', namespace: 'static-egress-system', resourceVersion: '7' },
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 3, renewTime: new Date(3_600_000), leaseTransitions: 4 },
    };
    const b = candidate(store, clock, 'b');
    b.elector.start();
    await run(clock, 2_900, [b]);
    assert.ok(!b.elector.isLeader(), 'must wait a full lease duration after first seeing the record');
    await run(clock, 1_000, [b]);
    assert.ok(b.elector.isLeader());
    assert.equal(store.lease?.spec?.leaseTransitions, 5);
    await b.elector.stop();
  });

  it('release() hands over at once', async () => {
    const { store, clock, a, b } = await aLeadsBStandsBy();
    const releasedAt = clock.now();
    await a.elector.release();
    assert.ok(!a.elector.isLeader());
    assert.equal(store.holder(), '');
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
    await run(clock, 600, [a, b]);
    assert.ok(b.elector.isLeader());
    assert.ok((b.terms[0]?.[0] ?? Infinity) <= releasedAt + 500);
    assertDisjoint(a, b);
    await b.elector.stop();
  });

  it('sets the leader gauge and validates its timing options', async () => {
    const store = new FakeLeaseStore();
    const clock = new FakeClock(0);
    const values: number[] = [];
    const e = new LeaderElector({
      api: store.client('a'), namespace: 'ns', name: 'l', identity: 'a', clock,
      leaderGauge: { set: (v) => values.push(v) },
    });
    e.start();
    await clock.advanceAsync(0);
    await e.stop();
    assert.deepEqual(values, [0, 1, 0]);
    assert.throws(
      () => new LeaderElector({ api: store.client('a'), namespace: 'ns', name: 'l', identity: 'a', leaseDurationMs: 2000, renewDeadlineMs: 2000 }),
      /leaseDuration \(2000ms\) must be greater than renewDeadline/,
    );
  });
});
