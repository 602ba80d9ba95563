import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { comparePolicyAge } from './age.js';
import { podInfoFromPod, serviceInfoFromService } from './convert.js';
import { cidrContainsIP, cidrsOverlap, isGlobalUnicastIPv4, mustParseCIDRv4, parseCIDRv4, parseIPv4 } from '../ip/index.js';
import { podKey, policyKey, splitKey } from './keys.js';
import { computeStatusNodes } from './status.js';

describe('keys', () => {
  it('are namespace/name and split back', () => {
    assert.equal(policyKey('shop', 'db'), 'shop/db');
    assert.equal(podKey('shop', 'web-1'), 'shop/web-1');
    assert.deepEqual(splitKey('shop/db'), { namespace: 'shop', name: 'db' });
    assert.deepEqual(splitKey('lan'), { namespace: '', name: 'lan' });
  });
});

describe('comparePolicyAge', () => {
  it('orders by creation time, then namespace, then name', () => {
    const p = (createdAt: number, namespace: string, name: string) => ({ createdAt, namespace, name });
    const sorted = [p(2, 'a', 'a'), p(1, 'z', 'z'), p(1, 'b', 'y'), p(1, 'b', 'x')].sort(comparePolicyAge);
    assert.deepEqual(sorted, [p(1, 'b', 'x'), p(1, 'b', 'y'), p(1, 'z', 'z'), p(2, 'a', 'a')]);
    assert.equal(comparePolicyAge(p(1, 'a', 'a'), p(1, 'a', 'a')), 0);
  });
});

describe('ip helpers', () => {
  it('parse IPv4 strictly', () => {
    assert.equal(parseIPv4('192.0.2.1'), '192.0.2.1');
    for (const bad of ['192.0.2.01', '192.0.2', '0x1.2.3.4', '::1', '192.0.2.1 ', 7]) assert.equal(parseIPv4(bad), undefined);
  });
  it('know unicast addresses', () => {
    assert.equal(isGlobalUnicastIPv4('192.0.2.1'), true);
    assert.equal(isGlobalUnicastIPv4('10.0.0.1'), true);
    for (const ip of ['0.0.0.0', '127.0.0.1', '169.254.1.1', '224.0.0.1', '255.255.255.255']) assert.equal(isGlobalUnicastIPv4(ip), false, ip);
  });
  it('parse CIDRs and test containment and overlap', () => {
    assert.equal(parseCIDRv4('192.0.2.100/27'), 'host-bits');
    assert.equal(parseCIDRv4('192.0.2.96/33'), 'invalid');
    assert.equal(parseCIDRv4('192.0.2.96/027'), 'invalid');
    const lan = mustParseCIDRv4('192.0.2.96/27');
    assert.equal(cidrContainsIP(lan, '192.0.2.127'), true);
    assert.equal(cidrContainsIP(lan, '192.0.2.128'), false);
    assert.equal(cidrContainsIP(mustParseCIDRv4('0.0.0.0/0'), '198.51.100.1'), true);
    assert.equal(cidrContainsIP(mustParseCIDRv4('198.51.100.7/32'), '198.51.100.7'), true);
    assert.equal(cidrsOverlap(lan, mustParseCIDRv4('192.0.2.112/28')), true);
    assert.equal(cidrsOverlap(lan, mustParseCIDRv4('192.0.2.128/27')), false);
  });
});

describe('podInfoFromPod / serviceInfoFromService', () => {
  it('takes what the semantics need, preferring the IPv4 pod address', () => {
    const pod: V1Pod = {
      metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', labels: { app: 'web' } },
      spec: { nodeName: 'node-1', containers: [] },
      status: { phase: 'Running', podIP: 'fd00::5', podIPs: [{ ip: 'fd00::5' }, { ip: '203.0.113.40' }] },
    };
    assert.deepEqual(podInfoFromPod(pod), {
      key: 'shop/web-1',
      namespace: 'shop',
      name: 'web-1',
      uid: 'u1',
      labels: { app: 'web' },
      nodeName: 'node-1',
      podIP: '203.0.113.40',
      podIPs: ['fd00::5', '203.0.113.40'],
      phase: 'Running',
    });
    const v6only = podInfoFromPod({ metadata: { name: 'p6', namespace: 'shop' }, status: { podIP: '2001:DB8::0:5' } });
    assert.deepEqual([v6only.podIP, v6only.podIPs], [undefined, ['2001:db8::5']]); // issue 11: canonical, no IPv4 one
    const pending = podInfoFromPod({ metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [], hostNetwork: true } });
    assert.equal(pending.nodeName, undefined);
    assert.equal(pending.podIP, undefined);
    assert.equal(pending.hostNetwork, true);
  });
  it('copies the service selector', () => {
    assert.deepEqual(serviceInfoFromService({ metadata: { name: 'frontend', namespace: 'shop' }, spec: { selector: { app: 'web' } } }), {
      namespace: 'shop',
      name: 'frontend',
      selector: { app: 'web' },
    });
    assert.deepEqual(serviceInfoFromService({ metadata: { name: 'ext', namespace: 'shop' } }), { namespace: 'shop', name: 'ext' });
  });
});

describe('computeStatusNodes', () => {
  it('lists each node once in assignment order', () => {
    assert.deepEqual(
      computeStatusNodes([
        { egressIP: '192.0.2.101', node: 'node-3' },
        { egressIP: '192.0.2.100', node: 'node-2' },
        { egressIP: '192.0.2.102', node: 'node-3' },
      ]),
      ['node-3', 'node-2'],
    );
  });
});
