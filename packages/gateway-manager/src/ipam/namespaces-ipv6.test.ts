// Namespace IPAM over IPv6 and dual-stack pools (issue 11): one egress IP per zone and family, never
// an IPv6 cidr's subnet-router anycast address, and an /64 is walked lazily.
import assert from 'node:assert/strict';
import { parsePool } from '@static-egress/crds';
import { checkPoolAddress, firstFreeAddress } from './free.js';
import { computeNamespaceAllocations, type NamespaceIPAMInput, type NamespaceInfo } from './namespaces.js';

const POOL = 'staticegress.io/pool';
const IPS = 'staticegress.io/egress-ips';

const dual = parsePool({ metadata: { name: 'dual' }, spec: { cidrs: [{ cidr: '2001:db8::/64', reserved: ['2001:db8::1'] }, { cidr: '192.0.2.0/29' }] } });
const zonedDual = parsePool({
  metadata: { name: 'zoned-dual' },
  spec: { cidrs: [{ cidr: '192.0.2.0/29', zone: 'a' }, { cidr: '2001:db8:a::/64', zone: 'a' }, { cidr: '192.0.2.8/29', zone: 'b' }] },
});

function ns(name: string, annotations: Record<string, string>): NamespaceInfo {
  return { name, uid: `uid-${name}`, labels: {}, annotations };
}

function input(namespaces: NamespaceInfo[], nodeAddresses: string[] = []): NamespaceIPAMInput {
  return { namespaces, pools: [dual, zonedDual], policyObjects: new Map(), nodeAddresses: new Set(nodeAddresses), reported: new Map() };
}

describe('free addresses, IPv6 (issue 11)', () => {
  it('never the subnet-router anycast address nor a reserved one; /127 has none; lowest first in a /64', () => {
    assert.deepEqual(checkPoolAddress(dual.cidrs, '2001:db8::'), { problem: 'network-or-broadcast' });
    assert.deepEqual(checkPoolAddress(dual.cidrs, '2001:db8::1'), { problem: 'reserved' });
    assert.deepEqual(checkPoolAddress(dual.cidrs, '2001:DB8::2'), { problem: 'not-in-pool' }, 'only canonical text is an address of the pool');
    assert.deepEqual(checkPoolAddress(dual.cidrs, '2001:db9::2'), { problem: 'not-in-pool' });
    assert.equal('cidr' in checkPoolAddress(dual.cidrs, '2001:db8::ffff:ffff:ffff:ffff'), true);
    const v6 = dual.cidrs.filter((c) => c.cidr.includes(':'));
    assert.equal(firstFreeAddress(v6, () => false), '2001:db8::2');
    assert.equal(firstFreeAddress(v6, (ip) => ip === '2001:db8::2' || ip === '2001:db8::3'), '2001:db8::4');
    assert.equal(firstFreeAddress([{ cidr: '2001:db8:1::/127', reserved: [] }], () => false), '2001:db8:1::');
    assert.equal(firstFreeAddress([{ cidr: '2001:db8:1::/127', reserved: [] }], () => true), undefined);
    assert.equal(firstFreeAddress(dual.cidrs, () => false), '192.0.2.1', 'IPv4 before IPv6');
  });
});

describe('computeNamespaceAllocations, dual-stack pools (issue 11)', () => {
  it('allocates an IPv4 and an IPv6 address from a dual-stack pool, skipping node addresses', () => {
    const r = computeNamespaceAllocations(input([ns('shop', { [POOL]: 'dual' })], ['2001:db8::2', '192.0.2.1']));
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'dual', ips: ['192.0.2.2', '2001:db8::3'] }]);
  });
  it('one per zone and family: zone a gets both families, zone b (IPv4 only) one', () => {
    const r = computeNamespaceAllocations(input([ns('shop', { [POOL]: 'zoned-dual' })]));
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'zoned-dual', ips: ['192.0.2.1', '2001:db8:a::1', '192.0.2.9'] }]);
  });
  it('honours named IPs of both families, and says what a dual-stack pool needs', () => {
    const ok = computeNamespaceAllocations(input([ns('shop', { [POOL]: 'dual', [IPS]: '2001:db8::42,192.0.2.5' })]));
    assert.deepEqual(ok.actions, [{ kind: 'apply', namespace: 'shop', pool: 'dual', ips: ['192.0.2.5', '2001:db8::42'] }]);
    const cases: [string, RegExp][] = [
      ['2001:db8::42', /1 distinct address\(es\) given, one per family \(pool dual has no zones\) needed/],
      ['2001:db8::42,2001:db8::43', /two IPv6 addresses in the pool/],
      ['2001:DB8::42,192.0.2.5', /"2001:DB8::42" is not an IPv4 address or an IPv6 address in canonical form/],
      ['2001:db8::,192.0.2.5', /2001:db8:: is the network or broadcast address \(IPv6: the subnet-router anycast address\)/],
    ];
    for (const [ips, message] of cases) {
      const r = computeNamespaceAllocations(input([ns('shop', { [POOL]: 'dual', [IPS]: ips })]));
      assert.deepEqual(r.actions, [], ips);
      assert.match(r.events[0]!.message, message);
    }
  });
});
