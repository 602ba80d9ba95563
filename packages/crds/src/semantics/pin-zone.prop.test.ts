// Zone preference in pinning (issue 9): a pod pins among the IPs held in its own zone when there are
// any, and otherwise keeps exactly the pin it had without zones; with nothing changed, nothing moves.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pinEgressIP } from './pin.js';

const RUNS = 1000;
const ipArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `192.0.${a}.${b}`);
const zonesArb = fc.constantFrom('a', 'b', 'c');
/** IPs, each with the zone of its gateway. */
const heldArb = fc.uniqueArray(fc.tuple(ipArb, zonesArb), { minLength: 1, maxLength: 12, selector: ([ip]) => ip });

const near = (held: readonly [string, string][], zone: string) => (ip: string) => held.some(([i, z]) => i === ip && z === zone);

describe('pinEgressIP zone preference properties', () => {
  it('is stable: the same inputs in any order give the same pin', () => {
    fc.assert(
      fc.property(fc.uuid(), heldArb, zonesArb, fc.nat(), (uid, held, zone, seed) => {
        const ips = held.map(([ip]) => ip);
        const rotated = [...ips.slice(seed % ips.length), ...ips.slice(0, seed % ips.length)];
        assert.equal(pinEgressIP(uid, rotated, near(held, zone)), pinEgressIP(uid, ips, near(held, zone)));
      }),
      { numRuns: RUNS },
    );
  });

  it('pins in the pod\'s zone whenever an IP is held there', () => {
    fc.assert(
      fc.property(fc.uuid(), heldArb, zonesArb, (uid, held, zone) => {
        const pinned = pinEgressIP(uid, held.map(([ip]) => ip), near(held, zone));
        const inZone = held.filter(([, z]) => z === zone).map(([ip]) => ip);
        if (inZone.length > 0) {
          assert.ok(inZone.includes(pinned), `${pinned} is not in zone ${zone}`);
          assert.equal(pinned, pinEgressIP(uid, inZone)); // rendezvous among the near ones
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('falls back to the zone-free pin when its zone holds none', () => {
    fc.assert(
      fc.property(fc.uuid(), heldArb, (uid, held) => {
        const ips = held.map(([ip]) => ip);
        assert.equal(pinEgressIP(uid, ips, near(held, 'elsewhere')), pinEgressIP(uid, ips));
        assert.equal(pinEgressIP(uid, ips, () => false), pinEgressIP(uid, ips));
      }),
      { numRuns: RUNS },
    );
  });

  it('losing an IP of another zone never moves a pod pinned in its own zone', () => {
    fc.assert(
      fc.property(fc.uuid(), heldArb, zonesArb, fc.nat(), (uid, held, zone, k) => {
        const before = pinEgressIP(uid, held.map(([ip]) => ip), near(held, zone));
        const [lostIP, lostZone] = held[k % held.length]!;
        if (lostZone === zone || held.length < 2) return;
        const rest = held.filter(([ip]) => ip !== lostIP);
        if (!held.some(([, z]) => z === zone)) return;
        assert.equal(pinEgressIP(uid, rest.map(([ip]) => ip), near(rest, zone)), before);
      }),
      { numRuns: RUNS },
    );
  });
});
