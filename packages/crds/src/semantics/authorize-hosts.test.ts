// Issue 9 point 6: a pool 192.0.2.0/24 let policies claim 192.0.2.0 and 192.0.2.255; both were Ready,
// the broadcast address went onto a gateway's uplink and directors routed via the network address.
import assert from 'node:assert/strict';
import { Reason } from '../constants.js';
import { authorizeEgressIPs } from './authorize.js';
import type { AuthorizedIP, Labels, Policy, Pool } from './types.js';

function policy(name: string, egressIPs: string[], createdAt = 1000): Policy {
  return {
    key: `shop/${name}`, namespace: 'shop', name, uid: `shop-${name}`, generation: 1, createdAt, egressIPs,
    destinationCIDRs: ['0.0.0.0/0'], excludedCIDRs: [], assignments: new Map(),
  };
}

function pool(name: string, cidrs: string[], namespaceSelector?: Pool['namespaceSelector']): Pool {
  return { name, cidrs: cidrs.map((cidr) => ({ cidr, reserved: [] })), maxIPsPerNode: 8, ...(namespaceSelector ? { namespaceSelector } : {}) };
}

const labels = new Map<string, Labels>([['shop', { egress: 'allowed' }]]);

function authorize(ips: string[], pools: Pool[]): AuthorizedIP[] {
  return authorizeEgressIPs([policy('db', ips)], pools, labels, new Set()).get('shop/db')!;
}

describe('authorizeEgressIPs: network and broadcast addresses (issue 9 point 6)', () => {
  const lan = pool('lan', ['192.0.2.0/24']);
  const cases: [ip: string, pools: Pool[], want: string | undefined, why: string][] = [
    ['192.0.2.0', [lan], 'network address of 192.0.2.0/24 in EgressIPPool lan', 'the network address'],
    ['192.0.2.255', [lan], 'broadcast address of 192.0.2.0/24 in EgressIPPool lan', 'the broadcast address'],
    ['192.0.2.1', [lan], undefined, 'the first host'],
    ['192.0.2.254', [lan], undefined, 'the last host'],
    ['198.51.100.7', [pool('p30', ['198.51.100.4/30'])], 'broadcast address of 198.51.100.4/30', 'a /30 has two hosts only'],
    ['198.51.100.4', [pool('p31', ['198.51.100.4/31'])], undefined, 'RFC 3021: a /31 has no network address'],
    ['198.51.100.5', [pool('p31', ['198.51.100.4/31'])], undefined, 'RFC 3021: nor a broadcast address'],
    ['192.0.2.100', [pool('single', ['192.0.2.100/32'])], undefined, 'the converters emit /32 pools'],
    ['192.0.2.127', [pool('a', ['192.0.2.0/25']), pool('b', ['192.0.2.0/24'])], undefined, 'a host of another pool that holds it as a host'],
    ['192.0.2.127', [pool('a', ['192.0.2.0/25', '192.0.2.0/24'])], undefined, 'a host of another cidr of the same pool'],
  ];
  for (const [ip, pools, want, why] of cases) {
    it(`${ip} in ${pools.map((p) => p.cidrs.map((c) => c.cidr).join('+')).join(', ')}: ${why}`, () => {
      const [e] = authorize([ip], pools);
      if (want === undefined) {
        assert.equal(e!.problem, undefined);
        assert.ok(e!.pool);
        return;
      }
      assert.equal(e!.pool, undefined, 'not allocated from the pool');
      assert.equal(e!.problem?.reason, Reason.IPNotUsable);
      assert.ok(e!.problem.message.includes(want), e!.problem.message);
      assert.match(e!.problem.message, /never usable: choose a host address of the pool$/);
    });
  }

  it('a pool that does not admit the namespace says so, not that the address is unusable', () => {
    const [e] = authorize(['192.0.2.255'], [pool('lan', ['192.0.2.0/24'], { matchLabels: { egress: 'other' } })]);
    assert.equal(e!.problem?.reason, Reason.IPNotAuthorized);
  });

  it('an unusable claim does not block the policy\'s other IPs nor a later policy\'s host address', () => {
    const r = authorizeEgressIPs(
      [policy('old', ['192.0.2.255', '192.0.2.10'], 1), policy('new', ['192.0.2.0', '192.0.2.11'], 2)], [lan], labels, new Set(),
    );
    assert.deepEqual(r.get('shop/old')!.map((e) => e.problem?.reason ?? e.pool), [Reason.IPNotUsable, 'lan']);
    assert.deepEqual(r.get('shop/new')!.map((e) => e.problem?.reason ?? e.pool), [Reason.IPNotUsable, 'lan']);
  });
});
