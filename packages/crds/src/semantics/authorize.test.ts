import assert from 'node:assert/strict';
import { Reason } from '../constants.js';
import { authorizeEgressIPs } from './authorize.js';
import type { Labels, Policy, Pool } from './types.js';

function policy(namespace: string, name: string, egressIPs: string[], createdAt = 1000): Policy {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid: `${namespace}-${name}`,
    generation: 1,
    createdAt,
    egressIPs,
    destinationCIDRs: ['0.0.0.0/0'],
    excludedCIDRs: [],
    assignments: new Map(),
  };
}

const lan: Pool = {
  name: 'lan',
  cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96', '192.0.2.126', '192.0.2.127'] }],
  namespaceSelector: { matchLabels: { egress: 'allowed' } },
  maxIPsPerNode: 8,
};
const open: Pool = { name: 'open', cidrs: [{ cidr: '203.0.113.0/28', reserved: [] }], maxIPsPerNode: 8 };
const nsLabels = new Map<string, Labels>([
  ['shop', { egress: 'allowed' }],
  ['blog', {}],
]);

describe('authorizeEgressIPs', () => {
  it('authorizes an IP in a pool that admits the namespace and names the pool', () => {
    const r = authorizeEgressIPs([policy('shop', 'db', ['192.0.2.100', '203.0.113.5'])], [lan, open], nsLabels, new Set());
    assert.deepEqual(r.get('shop/db'), [
      { ip: '192.0.2.100', pool: 'lan' },
      { ip: '203.0.113.5', pool: 'open' },
    ]);
  });

  it('refuses an IP of a pool that does not admit the namespace, in words a person understands', () => {
    const r = authorizeEgressIPs([policy('blog', 'x', ['192.0.2.100'])], [lan], nsLabels, new Set());
    const [e] = r.get('blog/x')!;
    assert.equal(e!.pool, undefined);
    assert.equal(e!.problem!.reason, Reason.IPNotAuthorized);
    assert.equal(e!.problem!.message, 'egress IP 192.0.2.100 is not in any EgressIPPool that admits namespace blog');
  });

  it('refuses an IP in no pool at all', () => {
    const r = authorizeEgressIPs([policy('shop', 'db', ['198.51.100.9'])], [lan], nsLabels, new Set());
    const [e] = r.get('shop/db')!;
    assert.equal(e!.problem!.reason, Reason.IPNotAuthorized);
    assert.match(e!.problem!.message, /^egress IP 198\.51\.100\.9 is not in any EgressIPPool/);
  });

  it('refuses a reserved IP', () => {
    const r = authorizeEgressIPs([policy('shop', 'db', ['192.0.2.126'])], [lan], nsLabels, new Set());
    const [e] = r.get('shop/db')!;
    assert.equal(e!.problem!.reason, Reason.IPNotAuthorized);
    assert.match(e!.problem!.message, /reserved in EgressIPPool lan/);
  });

  it('treats namespaces without known labels as having none', () => {
    const r = authorizeEgressIPs([policy('unknown', 'p', ['192.0.2.100', '203.0.113.1'])], [lan, open], nsLabels, new Set());
    assert.deepEqual(
      r.get('unknown/p')!.map((e) => e.problem?.reason),
      [Reason.IPNotAuthorized, undefined],
    );
  });

  it('uses the first admitting pool by name when pools overlap', () => {
    const other: Pool = { name: 'a-first', cidrs: [{ cidr: '192.0.2.0/24', reserved: [] }], maxIPsPerNode: 8 };
    const r = authorizeEgressIPs([policy('shop', 'db', ['192.0.2.100'])], [lan, other], nsLabels, new Set());
    assert.equal(r.get('shop/db')![0]!.pool, 'a-first');
  });

  it('flags an IP that is a node address', () => {
    const r = authorizeEgressIPs([policy('shop', 'db', ['192.0.2.100', '192.0.2.101'])], [lan], nsLabels, new Set(['192.0.2.101']));
    const [a, b] = r.get('shop/db')!;
    assert.equal(a!.problem, undefined);
    assert.equal(b!.problem!.reason, Reason.IPIsNodeAddress);
    assert.equal(b!.pool, 'lan');
    assert.match(b!.problem!.message, /192\.0\.2\.101 is the address of a node/);
  });

  it('gives a contested IP to the older policy and names it to the younger', () => {
    const older = policy('shop', 'old', ['192.0.2.100'], 1000);
    const younger = policy('shop', 'new', ['192.0.2.100', '192.0.2.101'], 2000);
    for (const order of [
      [older, younger],
      [younger, older],
    ]) {
      const r = authorizeEgressIPs(order, [lan], nsLabels, new Set());
      assert.deepEqual(r.get('shop/old'), [{ ip: '192.0.2.100', pool: 'lan' }]);
      const [c, d] = r.get('shop/new')!;
      assert.equal(c!.problem!.reason, Reason.IPConflict);
      assert.match(c!.problem!.message, /already claimed by the older StaticEgressIP shop\/old/);
      assert.deepEqual(d, { ip: '192.0.2.101', pool: 'lan' });
    }
  });

  it('breaks equal creation times by namespace then name', () => {
    const r = authorizeEgressIPs(
      [policy('shop', 'b', ['192.0.2.100'], 5), policy('shop', 'a', ['192.0.2.100'], 5)],
      [lan],
      nsLabels,
      new Set(),
    );
    assert.equal(r.get('shop/a')![0]!.problem, undefined);
    assert.equal(r.get('shop/b')![0]!.problem!.reason, Reason.IPConflict);
  });

  it('does not let an older unauthorized claim block an authorized one', () => {
    const squatter = policy('blog', 'squat', ['192.0.2.100'], 1);
    const owner = policy('shop', 'db', ['192.0.2.100'], 2);
    const r = authorizeEgressIPs([squatter, owner], [lan], nsLabels, new Set());
    assert.equal(r.get('blog/squat')![0]!.problem!.reason, Reason.IPNotAuthorized);
    assert.deepEqual(r.get('shop/db'), [{ ip: '192.0.2.100', pool: 'lan' }]);
  });

  it('returns an entry list for every policy, empty pools included', () => {
    const r = authorizeEgressIPs([policy('shop', 'db', ['192.0.2.100'])], [], nsLabels, new Set());
    assert.equal(r.get('shop/db')![0]!.problem!.reason, Reason.IPNotAuthorized);
  });
});
