// The IP module's own IPv6 parser for hex-and-colon text (issue 11: the manager parses every egress IP
// on each pass) accepts exactly what ipaddr.js accepts there, with the same value — on valid
// addresses in every spelling and on random text of the same alphabet.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { formatIP, parseIPv6Address } from './index.js';

const RUNS = 2000;

function reference(s: string): string | undefined {
  if (!ipaddr.IPv6.isValid(s)) return undefined;
  const a = ipaddr.IPv6.parse(s);
  return a.isIPv4MappedAddress() ? undefined : a.toString();
}

const group = fc.stringMatching(/^[0-9a-fA-F]{0,5}$/);
const hexColon = fc.oneof(
  fc.array(fc.oneof(group, fc.constant('')), { maxLength: 10 }).map((gs) => gs.join(':')),
  fc.tuple(fc.array(group, { maxLength: 8 }), fc.array(group, { maxLength: 8 })).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
  fc.stringMatching(/^[0-9a-fA-F:]{1,42}$/),
);
const spelled = fc.ipV6().chain((s) => {
  const a = ipaddr.IPv6.parse(s);
  return fc.constantFrom(s, a.toNormalizedString(), a.toString(), a.toString().toUpperCase(), a.toNormalizedString().split(':').map((g) => g.padStart(4, '0')).join(':'));
});

describe('IPv6 hex-and-colon parser (issue 11)', () => {
  it('agrees with ipaddr.js on every spelling of valid addresses and on random hex-and-colon text', () => {
    fc.assert(fc.property(fc.oneof(spelled, hexColon), (s) => {
      const a = parseIPv6Address(s);
      assert.equal(a === undefined ? undefined : formatIP(a), reference(s), s);
    }), { numRuns: RUNS });
  });
  it('edge cases', () => {
    const cases: [string, string | undefined][] = [
      ['::', '::'], ['::1', '::1'], ['1::', '1::'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'], ['1:2:3:4:5:6:7:8::', undefined], ['1::2::3', undefined], [':1::', undefined], ['1:::2', undefined],
      ['12345::', undefined], ['1:2:3:4:5:6:7', undefined], ['::ffff:c000:201', undefined], [':', undefined], ['', undefined],
    ];
    for (const [s, want] of cases) {
      const a = parseIPv6Address(s);
      assert.equal(a === undefined ? undefined : formatIP(a), want, s);
      assert.equal(reference(s), want, `ipaddr.js on ${s}`);
    }
  });
});
