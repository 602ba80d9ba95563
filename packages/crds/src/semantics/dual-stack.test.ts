// IPv6 and dual-stack policies and pools (issue 11): per-family defaults, canonical text, and
// authorization that never crosses families.
import assert from 'node:assert/strict';
import { Reason } from '../constants.js';
import type { EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { authorizeEgressIPs } from './authorize.js';
import { familiesOf, parsePolicy, parsePool } from './parse.js';
import { isSelectablePod } from './select-pods.js';
import type { AuthorizedIP, Labels, Pool } from './types.js';

function seip(spec: Record<string, unknown>, status?: Record<string, unknown>): StaticEgressIP {
  return { apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: { name: 'db', namespace: 'shop' }, spec, ...(status ? { status } : {}) } as unknown as StaticEgressIP;
}

function pool(name: string, cidrs: string[], reserved: string[] = []): Pool {
  return parsePool({ metadata: { name }, spec: { cidrs: cidrs.map((cidr) => ({ cidr, reserved: reserved.filter((r) => r.includes(':') === cidr.includes(':')) })) } } as EgressIPPool);
}

const labels = new Map<string, Labels>([['shop', {}]]);

function authorize(ips: string[], pools: Pool[], nodeAddresses: string[] = []): AuthorizedIP[] {
  return authorizeEgressIPs([parsePolicy(seip({ egressIPs: ips }))], pools, labels, new Set(nodeAddresses)).get('shop/db')!;
}

describe('dual-stack policies (issue 11)', () => {
  it('default destination: every address of each family of the egress IPs', () => {
    assert.deepEqual(parsePolicy(seip({ egressIPs: ['192.0.2.100'] })).destinationCIDRs, ['0.0.0.0/0']);
    assert.deepEqual(parsePolicy(seip({ egressIPs: ['2001:db8::100'] })).destinationCIDRs, ['::/0']);
    assert.deepEqual(parsePolicy(seip({ egressIPs: ['2001:db8::100', '192.0.2.100'] })).destinationCIDRs, ['0.0.0.0/0', '::/0']);
  });
  it('keeps both families in spec order, and destinations and exclusions of either', () => {
    const p = parsePolicy(seip({
      egressIPs: ['2001:db8::100', '192.0.2.100'], destinationCIDRs: ['2001:db8:1::/48', '198.51.100.0/24'], excludedCIDRs: ['2001:db8:1::7/128'],
    }));
    assert.deepEqual([p.egressIPs, p.destinationCIDRs, p.excludedCIDRs], [['2001:db8::100', '192.0.2.100'], ['2001:db8:1::/48', '198.51.100.0/24'], ['2001:db8:1::7/128']]);
    assert.deepEqual(familiesOf(p.egressIPs), [4, 6]);
  });
  it('reads status assignments of either family in canonical text', () => {
    const p = parsePolicy(seip({ egressIPs: ['2001:db8::100'] }, { assignments: [{ egressIP: '2001:DB8:0::100', node: 'n1' }, { egressIP: 'junk', node: 'n2' }] }));
    assert.deepEqual([...p.assignments], [['2001:db8::100', 'n1']]);
  });
  it('names the canonical spelling when refusing another', () => {
    assert.throws(() => parsePolicy(seip({ egressIPs: ['2001:0DB8::1'] })), /spec\.egressIPs\[0\].*canonical form: 2001:db8::1, not "2001:0DB8::1"/);
    assert.throws(() => parsePolicy(seip({ egressIPs: ['2001:db8::1'], destinationCIDRs: ['2001:db8:0::/48'] })), /canonical form: 2001:db8::\/48/);
  });
  it('parses a dual-stack pool; cidrs of two families never overlap', () => {
    const p = pool('dual', ['192.0.2.0/24', '2001:db8::/64'], ['2001:db8::1']);
    assert.deepEqual(p.cidrs, [{ cidr: '192.0.2.0/24', reserved: [] }, { cidr: '2001:db8::/64', reserved: ['2001:db8::1'] }]);
    assert.deepEqual(pool('all', ['0.0.0.0/0', '::/0']).cidrs.map((c) => c.cidr), ['0.0.0.0/0', '::/0']);
    assert.throws(() => pool('overlap', ['2001:db8::/64', '::/0']), /must not overlap: 2001:db8::\/64 and ::\/0/);
  });
});

describe('authorizeEgressIPs over both families (issue 11)', () => {
  const v4 = pool('v4', ['192.0.2.0/24']);
  const v6 = pool('v6', ['2001:db8::/64'], ['2001:db8::1']);
  const cases: [ip: string, pools: Pool[], nodes: string[], reason: string | undefined, why: string][] = [
    ['2001:db8::100', [v6], [], undefined, 'an IPv6 IP in an IPv6 pool cidr'],
    ['2001:db8::100', [v4], [], Reason.IPNotAuthorized, 'an IPv6 IP is never in an IPv4 cidr'],
    ['192.0.2.100', [v6], [], Reason.IPNotAuthorized, 'an IPv4 IP is never in an IPv6 cidr'],
    ['2001:db8::', [v6], [], Reason.IPNotUsable, 'the subnet-router anycast address'],
    ['2001:db8::1', [v6], [], Reason.IPNotAuthorized, 'reserved'],
    ['2001:db8::100', [v6], ['192.0.2.11', '2001:db8::100'], Reason.IPIsNodeAddress, "a node's IPv6 address"],
    ['2001:db8:1::', [pool('p127', ['2001:db8:1::/127'])], [], undefined, 'RFC 6164: a /127 has no anycast address to avoid'],
  ];
  for (const [ip, pools, nodes, reason, why] of cases) {
    it(`${ip}: ${reason ?? 'authorized'} (${why})`, () => {
      const [a] = authorize([ip], pools, nodes);
      assert.equal(a?.problem?.reason, reason, a?.problem?.message);
      if (!reason) assert.equal(a?.pool, pools[0]!.name);
    });
  }
  it('says why an anycast address is unusable', () => {
    assert.match(authorize(['2001:db8::'], [v6])[0]!.problem!.message, /subnet-router anycast address of 2001:db8::\/64 in EgressIPPool v6/);
  });
  it('authorizes each IP of a dual-stack policy in its own family\'s pool', () => {
    assert.deepEqual(authorize(['192.0.2.100', '2001:db8::100'], [v4, v6]).map((a) => [a.ip, a.pool, a.problem]), [
      ['192.0.2.100', 'v4', undefined], ['2001:db8::100', 'v6', undefined],
    ]);
  });
});

describe('isSelectablePod (issue 11)', () => {
  const base = { key: 'shop/p', namespace: 'shop', name: 'p', uid: 'u', labels: {}, nodeName: 'n1', phase: 'Running' };
  it('an IPv6-only pod is selectable; a pod without any address is not', () => {
    assert.equal(isSelectablePod({ ...base, podIPs: ['2001:db8:70::5'] }), true);
    assert.equal(isSelectablePod({ ...base, podIP: '203.0.113.5', podIPs: ['203.0.113.5', '2001:db8:70::5'] }), true);
    assert.equal(isSelectablePod(base), false);
    assert.equal(isSelectablePod({ ...base, podIPs: ['2001:db8:70::5'], hostNetwork: true }), false);
  });
});
