// Fuzzes the parsers (they sit at the edge, on objects a tenant wrote): any input either parses
// into a well-formed internal form or throws a ParseError naming a field — nothing else.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import { ALL_ADDRESSES, canonicalIP, cidrContainsIP, ipFamilyOf, isGlobalUnicast, mustParseCIDR, parseCIDR } from '../ip/index.js';
import { familiesOf, parsePolicy, parsePool } from './parse.js';

const RUNS = 1000;
const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('256', '01', '-1', 'x', ''));
/** IPv6 text in any spelling (issue 11): canonical, upper case, uncompressed, zoned, IPv4-mapped. */
const ipv6ish = fc.oneof(
  fc.ipV6(),
  fc.ipV6().map((s) => s.toUpperCase()),
  fc.constantFrom('2001:db8::100', '2001:0db8::100', '2001:db8:0:0:0:0:0:100', 'fe80::1', 'ff02::1', '::', '::ffff:192.0.2.1', 'fe80::1%eth0'),
);
const ipish = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
  fc.constantFrom('192.0.2.100', '127.0.0.1', '::1', '0.0.0.0'),
  ipv6ish,
  fc.anything(),
);
const cidrish = fc.oneof(
  // Only strings go into the template: fc.anything() makes objects whose toString is not a function.
  fc.tuple(ipish, fc.integer({ min: -1, max: 130 })).map(([ip, p]) => `${typeof ip === 'string' ? ip : '1.2.3.4'}/${p}`),
  fc.constantFrom('0.0.0.0/0', '198.51.100.0/24', '::/0', '2001:db8::/32', '2001:DB8::/32'),
  fc.anything(),
);
const selectorish = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      matchLabels: fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 5 }), fc.anything())),
      matchExpressions: fc.array(
        fc.record(
          {
            key: fc.oneof(fc.string({ maxLength: 5 }), fc.anything()),
            operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Equals', 7),
            values: fc.oneof(fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

function expectParseErrorOnly(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    assert.ok(err instanceof ParseError, `threw ${String(err)}`);
    assert.match(err.field, /^(metadata|spec)/);
    return false;
  }
}

describe('parser fuzzing', () => {
  it('parsePolicy returns a well-formed policy or throws ParseError', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            egressIPs: fc.oneof(fc.array(ipish, { maxLength: 18 }), fc.anything()),
            podSelector: selectorish,
            serviceName: fc.oneof(fc.constant(undefined), fc.constantFrom('frontend', 'Bad_Name'), fc.anything()),
            destinationCIDRs: fc.oneof(fc.constant(undefined), fc.array(cidrish, { maxLength: 4 })),
            excludedCIDRs: fc.oneof(fc.constant(undefined), fc.array(cidrish, { maxLength: 4 })),
          },
          { requiredKeys: [] },
        ),
        (spec) => {
          const obj = { metadata: { name: 'p', namespace: 'shop' }, spec } as unknown as StaticEgressIP;
          let policy: ReturnType<typeof parsePolicy> | undefined;
          if (!expectParseErrorOnly(() => (policy = parsePolicy(obj)))) return;
          const p = policy!;
          assert.ok(p.egressIPs.length >= 1 && p.egressIPs.length <= 16);
          assert.equal(new Set(p.egressIPs).size, p.egressIPs.length);
          // canonical text only, so one address has one spelling and the duplicate check sees it
          for (const ip of p.egressIPs) assert.ok(canonicalIP(ip) === ip && isGlobalUnicast(ip), ip);
          for (const c of [...p.destinationCIDRs, ...p.excludedCIDRs]) assert.equal((parseCIDR(c) as { text?: string }).text, c);
          assert.ok(p.destinationCIDRs.length >= 1);
          // every destination is of a family the policy has egress IPs of; none given: everywhere in each
          const families = familiesOf(p.egressIPs);
          for (const c of p.destinationCIDRs) assert.ok(families.includes(ipFamilyOf(c)!), c);
          if (spec.destinationCIDRs === undefined) assert.deepEqual(p.destinationCIDRs, families.map((f) => ALL_ADDRESSES[f]));
          assert.ok(!(p.podSelector && p.serviceName !== undefined));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('parsePool returns a well-formed pool or throws ParseError', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            cidrs: fc.oneof(
              fc.array(fc.record({ cidr: cidrish, reserved: fc.oneof(fc.array(ipish, { maxLength: 3 }), fc.anything()) }, { requiredKeys: [] }), {
                maxLength: 4,
              }),
              fc.anything(),
            ),
            namespaceSelector: selectorish,
            nodeSelector: selectorish,
            maxIPsPerNode: fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.double(), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        (spec) => {
          const obj = { metadata: { name: 'lan' }, spec } as unknown as EgressIPPool;
          let pool: ReturnType<typeof parsePool> | undefined;
          if (!expectParseErrorOnly(() => (pool = parsePool(obj)))) return;
          const p = pool!;
          assert.ok(p.cidrs.length >= 1);
          assert.ok(Number.isInteger(p.maxIPsPerNode) && p.maxIPsPerNode >= 1);
          for (const c of p.cidrs) {
            const parsed = mustParseCIDR(c.cidr);
            assert.equal(parsed.text, c.cidr);
            for (const r of c.reserved) assert.ok(cidrContainsIP(parsed, r));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
