import assert from 'node:assert/strict';
import { parsePool, type StaticEgressIP } from '@static-egress/crds';
import { checkPoolAddress, firstFreeAddress } from './free.js';
import { computeNamespaceAllocations, type NamespaceIPAMInput, type NamespaceInfo } from './namespaces.js';

const POOL = 'staticegress.io/pool';
const IPS = 'staticegress.io/egress-ips';
const ALLOCATED = 'staticegress.io/allocated-ips';

// zone a: 192.0.2.0/29 (usable .1–.6, .1 reserved); zone b: 192.0.2.8/29 (usable .9–.14)
const zoned = parsePool({
  metadata: { name: 'zoned' },
  spec: { cidrs: [{ cidr: '192.0.2.8/29', zone: 'b' }, { cidr: '192.0.2.0/29', zone: 'a', reserved: ['192.0.2.1'] }], namespaceSelector: { matchLabels: { egress: 'on' } } },
});
const flat = parsePool({ metadata: { name: 'flat' }, spec: { cidrs: [{ cidr: '198.51.100.0/30' }] } });

function ns(name: string, annotations: Record<string, string>, labels: Record<string, string> = { egress: 'on' }): NamespaceInfo {
  return { name, uid: `uid-${name}`, labels, annotations };
}

function seip(namespace: string, name: string, egressIPs: string[], managed = false, pool?: string): StaticEgressIP {
  return {
    metadata: {
      name, namespace,
      ...(managed ? { labels: { 'app.kubernetes.io/managed-by': 'static-egress' } } : {}),
      ...(pool ? { annotations: { [POOL]: pool } } : {}),
    },
    spec: { egressIPs },
  };
}

function input(over: Partial<NamespaceIPAMInput> & { objects?: StaticEgressIP[] } = {}): NamespaceIPAMInput {
  const { objects = [], ...rest } = over;
  return {
    namespaces: [],
    pools: [zoned, flat],
    policyObjects: new Map(objects.map((o) => [`${o.metadata!.namespace}/${o.metadata!.name}`, o])),
    nodeAddresses: new Set(['192.0.2.2']),
    reported: new Map(),
    ...rest,
  };
}

describe('free addresses', () => {
  it('never hands out a network, broadcast or reserved address; /31 and /32 have neither', () => {
    const cidrs = zoned.cidrs;
    assert.deepEqual(checkPoolAddress(cidrs, '192.0.2.0'), { problem: 'network-or-broadcast' });
    assert.deepEqual(checkPoolAddress(cidrs, '192.0.2.7'), { problem: 'network-or-broadcast' });
    assert.deepEqual(checkPoolAddress(cidrs, '192.0.2.8'), { problem: 'network-or-broadcast' });
    assert.deepEqual(checkPoolAddress(cidrs, '192.0.2.1'), { problem: 'reserved' });
    assert.deepEqual(checkPoolAddress(cidrs, '192.0.2.99'), { problem: 'not-in-pool' });
    assert.equal('cidr' in checkPoolAddress(cidrs, '192.0.2.14'), true);
    assert.equal(firstFreeAddress([{ cidr: '203.0.113.0/31', reserved: [] }], () => false), '203.0.113.0');
    assert.equal(firstFreeAddress([{ cidr: '203.0.113.9/32', reserved: [] }], () => false), '203.0.113.9');
    assert.equal(firstFreeAddress(cidrs, (ip) => ip !== '192.0.2.13'), '192.0.2.13');
    assert.equal(firstFreeAddress(cidrs, () => true), undefined);
  });
});

describe('computeNamespaceAllocations', () => {
  it('allocates one IP per zone, lowest free first: never network, broadcast, reserved, node or used', () => {
    const r = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [POOL]: 'zoned' })],
      objects: [seip('other', 'db', ['192.0.2.3', '192.0.2.9'])],
    }));
    // zone a: .1 reserved, .2 a node, .3 used → .4; zone b: .8 network, .9 used → .10
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'zoned', ips: ['192.0.2.4', '192.0.2.10'] }]);
    assert.deepEqual(r.events.map((e) => [e.type, e.reason]), [['Normal', 'EgressIPNamespaceAllocated']]);
  });

  it('a cache that lags its own write repeats the (idempotent) write, not the Event', () => {
    const first = computeNamespaceAllocations(input({ namespaces: [ns('shop', { [POOL]: 'flat' })] }));
    const again = computeNamespaceAllocations(input({ namespaces: [ns('shop', { [POOL]: 'flat' })], reported: first.reported }));
    assert.deepEqual(again.actions, first.actions);
    assert.equal(first.events.length, 1);
    assert.deepEqual(again.events, []);
  });

  it('one IP for a pool without zones; two namespaces never get the same address', () => {
    const r = computeNamespaceAllocations(input({ namespaces: [ns('b', { [POOL]: 'flat' }), ns('a', { [POOL]: 'flat' })] }));
    assert.deepEqual(r.actions, [
      { kind: 'apply', namespace: 'a', pool: 'flat', ips: ['198.51.100.1'] },
      { kind: 'apply', namespace: 'b', pool: 'flat', ips: ['198.51.100.2'] },
    ]);
  });

  it('is stable: an allocation that is still valid and written back produces no action', () => {
    const r = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [POOL]: 'zoned', [ALLOCATED]: '192.0.2.5,192.0.2.12' })],
      objects: [seip('shop', 'namespace-egress', ['192.0.2.12', '192.0.2.5'], true, 'zoned')],
    }));
    assert.deepEqual([r.actions, r.events], [[], []]);
  });

  it('writes the annotation back when it is missing, without a new allocation or Event', () => {
    const r = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [POOL]: 'zoned' })],
      objects: [seip('shop', 'namespace-egress', ['192.0.2.5', '192.0.2.12'], true, 'zoned')],
    }));
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'zoned', ips: ['192.0.2.5', '192.0.2.12'] }]);
    assert.deepEqual(r.events, []);
  });

  it('replaces only the address another (older) policy now names', () => {
    const r = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [POOL]: 'zoned', [ALLOCATED]: '192.0.2.5,192.0.2.12' })],
      objects: [seip('shop', 'namespace-egress', ['192.0.2.5', '192.0.2.12'], true, 'zoned'), seip('ops', 'x', ['192.0.2.12'])],
    }));
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'zoned', ips: ['192.0.2.5', '192.0.2.9'] }]);
  });

  it('honours the IPs a namespace names, in zone order', () => {
    const r = computeNamespaceAllocations(input({ namespaces: [ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.14, 192.0.2.6' })] }));
    assert.deepEqual(r.actions, [{ kind: 'apply', namespace: 'shop', pool: 'zoned', ips: ['192.0.2.6', '192.0.2.14'] }]);
  });

  const bad: [string, NamespaceInfo, RegExp][] = [
    ['unknown pool', ns('shop', { [POOL]: 'nope' }), /no valid EgressIPPool "nope"/],
    ['not admitted', ns('shop', { [POOL]: 'zoned' }, { egress: 'off' }), /does not admit namespace shop/],
    ['too few IPs', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.4' }), /1 distinct address\(es\) given, one per zone of pool zoned \(a, b\) needed/],
    ['two in one zone', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.4,192.0.2.5' }), /two addresses in zone a/],
    ['outside the pool', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.4,203.0.113.9' }), /203\.0\.113\.9 is not in any cidr of pool zoned/],
    ['broadcast', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.4,192.0.2.15' }), /192\.0\.2\.15 is the network or broadcast address/],
    ['reserved', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.1,192.0.2.9' }), /192\.0\.2\.1 is reserved/],
    ['node address', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.2,192.0.2.9' }), /192\.0\.2\.2 is in use/],
    ['used by a policy', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.3,192.0.2.9' }), /192\.0\.2\.3 is in use/],
    ['not an address', ns('shop', { [POOL]: 'zoned', [IPS]: '192.0.2.3,banana' }), /"banana" is not an IPv4 address or an IPv6 address in canonical form/],
  ];
  for (const [name, namespace, message] of bad) {
    it(`bad annotation (${name}): a Warning once, and the existing allocation is kept`, () => {
      const objects = [seip('shop', 'namespace-egress', ['192.0.2.5', '192.0.2.12'], true, 'zoned'), seip('other', 'db', ['192.0.2.3'])];
      const first = computeNamespaceAllocations(input({ namespaces: [namespace], objects }));
      assert.deepEqual(first.actions, []);
      assert.equal(first.events.length, 1);
      assert.equal(first.events[0]!.type, 'Warning');
      assert.equal(first.events[0]!.reason, 'EgressIPNamespaceInvalid');
      assert.match(first.events[0]!.message, message);
      const again = computeNamespaceAllocations(input({ namespaces: [namespace], objects, reported: first.reported }));
      assert.deepEqual([again.actions, again.events], [[], []]);
    });
  }

  it('reports an exhausted zone and a StaticEgressIP of that name it does not own', () => {
    const full = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [POOL]: 'flat' })], nodeAddresses: new Set(['198.51.100.1', '198.51.100.2']),
    }));
    assert.match(full.events[0]!.message, /pool flat has no free address/);
    const foreign = computeNamespaceAllocations(input({ namespaces: [ns('shop', { [POOL]: 'flat' })], objects: [seip('shop', 'namespace-egress', ['198.51.100.1'])] }));
    assert.deepEqual(foreign.actions, []);
    assert.match(foreign.events[0]!.message, /is not managed by static-egress/);
  });

  it('releases when the annotation goes; leaves a hand-written namespace-egress alone', () => {
    const r = computeNamespaceAllocations(input({
      namespaces: [ns('shop', { [ALLOCATED]: '192.0.2.5,192.0.2.12' }), ns('ops', {})],
      objects: [seip('shop', 'namespace-egress', ['192.0.2.5', '192.0.2.12'], true, 'zoned'), seip('ops', 'namespace-egress', ['192.0.2.3'])],
    }));
    assert.deepEqual(r.actions, [{ kind: 'release', namespace: 'shop', deletePolicy: true }]);
    assert.deepEqual(r.events.map((e) => e.reason), ['EgressIPNamespaceReleased']);
  });
});
