// Pin stability (DESIGN §2): a pod keeps its egress IP while the set is unchanged, whatever the
// order; removing an IP moves only the pods that were pinned to it; adding one moves pods only to it.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pinEgressIP } from './pin.js';

const RUNS = 1000;
const ipArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `192.0.${a}.${b}`);
const ipSetArb = fc.uniqueArray(ipArb, { minLength: 1, maxLength: 16 });
const uidsArb = fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 30 });

describe('pinEgressIP properties', () => {
  it('pins into the set, independent of order', () => {
    fc.assert(
      fc.property(uidsArb, ipSetArb.chain((ips) => fc.tuple(fc.constant(ips), fc.shuffledSubarray(ips, { minLength: ips.length }))), (uids, [ips, shuffled]) => {
        for (const uid of uids) {
          const a = pinEgressIP(uid, ips);
          assert.ok(ips.includes(a));
          assert.equal(pinEgressIP(uid, shuffled), a);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('removing one IP moves only the pods that were pinned to it', () => {
    fc.assert(
      fc.property(uidsArb, ipSetArb.filter((ips) => ips.length >= 2), fc.nat(), (uids, ips, k) => {
        const removed = ips[k % ips.length]!;
        const rest = ips.filter((ip) => ip !== removed);
        for (const uid of uids) {
          const before = pinEgressIP(uid, ips);
          const after = pinEgressIP(uid, rest);
          if (before !== removed) assert.equal(after, before, `${uid} moved from ${before} though ${removed} was removed`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('adding one IP moves pods only onto the new IP', () => {
    fc.assert(
      fc.property(uidsArb, ipSetArb, ipArb, (uids, ips, added) => {
        fc.pre(!ips.includes(added));
        for (const uid of uids) {
          const after = pinEgressIP(uid, [...ips, added]);
          if (after !== added) assert.equal(after, pinEgressIP(uid, ips));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
