// IPv6 egress IPs at the edge (issue 11), over random addresses in random spellings: an address is
// accepted exactly when it is written canonically and is global unicast, and one address can never
// be listed twice, however it is spelled.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import type { StaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import { parsePolicy } from './parse.js';

const RUNS = 1000;
const v6 = fc.ipV6().filter((s) => !ipaddr.IPv6.parse(s).isIPv4MappedAddress());

/** Other spellings of one address: uncompressed, zero-padded, upper case. */
function spellings(s: string): string[] {
  const a = ipaddr.IPv6.parse(s);
  const padded = a.toNormalizedString().split(':').map((g) => g.padStart(4, '0')).join(':');
  return [a.toNormalizedString(), padded, a.toString().toUpperCase(), a.toString()];
}

function parses(egressIPs: string[]): boolean | string {
  try {
    parsePolicy({ metadata: { name: 'p', namespace: 'shop' }, spec: { egressIPs } } as unknown as StaticEgressIP);
    return true;
  } catch (err) {
    assert.ok(err instanceof ParseError, String(err));
    return err.field;
  }
}

describe('IPv6 egress IPs (issue 11), properties', () => {
  it('accepted exactly when canonical (RFC 5952) and global unicast (Go\'s rule: not ::, ::1, fe80::/10, ff00::/8)', () => {
    fc.assert(fc.property(v6, fc.nat(3), (s, k) => {
      const spelled = spellings(s)[k]!;
      const a = ipaddr.IPv6.parse(s);
      const canonical = spelled === a.toRFC5952String();
      const unicast = !['unspecified', 'loopback', 'linkLocal', 'multicast'].includes(a.range());
      assert.equal(parses([spelled]) === true, canonical && unicast, spelled);
    }), { numRuns: RUNS });
  });
  it('one address twice, in any two spellings, is refused at the second entry', () => {
    fc.assert(fc.property(v6, fc.nat(3), (s, k) => {
      const canonical = ipaddr.IPv6.parse(s).toRFC5952String();
      const r = parses([canonical, spellings(s)[k]!]);
      if (parses([canonical]) === true) assert.equal(r, 'spec.egressIPs[1]');
    }), { numRuns: RUNS });
  });
});
