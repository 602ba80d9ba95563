import assert from 'node:assert/strict';
import { inCIDRs } from './ipconfig.js';
import { computeCloudPlan } from './plan.js';
import type { CloudInterface } from './provider.js';

const iface = (node: string, secondary: string[]): CloudInterface => ({
  node, instance: `i-${node}`, interface: `eni-${node}`, subnet: '192.0.2.0/24', limit: 4, primary: '192.0.2.1', secondary,
});
const ifaces = (...list: CloudInterface[]) => new Map(list.map((i) => [i.node, i]));
const isEgressIP = inCIDRs(['192.0.2.96/27']);

describe('computeCloudPlan', () => {
  it('publishes an IP only when the desired node alone holds it', () => {
    const plan = computeCloudPlan({
      desired: new Map([['192.0.2.100', 'a'], ['192.0.2.101', 'b']]),
      interfaces: ifaces(iface('a', ['192.0.2.100']), iface('b', [])),
      releasing: new Map(),
      isEgressIP,
    });
    assert.deepEqual([...plan.held], [['192.0.2.100', 'a']]);
    assert.deepEqual([...plan.pending], [['192.0.2.101', 'b']]);
    assert.deepEqual(plan.ops, [{ kind: 'assign', ip: '192.0.2.101', to: 'b', from: [] }]);
  });

  it('failover: takes the IP from the old interface; an IP on two interfaces is not held', () => {
    const plan = computeCloudPlan({
      desired: new Map([['192.0.2.100', 'b']]),
      interfaces: ifaces(iface('a', ['192.0.2.100']), iface('b', ['192.0.2.100'])),
      releasing: new Map(),
      isEgressIP,
    });
    assert.equal(plan.held.size, 0);
    assert.deepEqual(plan.ops, [{ kind: 'assign', ip: '192.0.2.100', to: 'b', from: ['a'] }]);
  });

  it('a live node still releasing keeps the IP in the cloud until its agent lets go', () => {
    const releasing = new Map([['192.0.2.100', 'a']]);
    const plan = computeCloudPlan({ desired: new Map(), interfaces: ifaces(iface('a', ['192.0.2.100'])), releasing, isEgressIP });
    assert.deepEqual(plan.ops, []);
    const after = computeCloudPlan({ desired: new Map(), interfaces: ifaces(iface('a', ['192.0.2.100'])), releasing: new Map(), isEgressIP });
    assert.deepEqual(after.ops, [{ kind: 'release', ip: '192.0.2.100', node: 'a' }]);
  });

  it('never touches addresses outside the pools', () => {
    const plan = computeCloudPlan({ desired: new Map(), interfaces: ifaces(iface('a', ['192.0.2.50'])), releasing: new Map(), isEgressIP });
    assert.deepEqual(plan.ops, []);
  });

  it('a node without an interface gets no call (it stays pending)', () => {
    const plan = computeCloudPlan({ desired: new Map([['192.0.2.100', 'x']]), interfaces: ifaces(), releasing: new Map(), isEgressIP });
    assert.deepEqual([plan.ops, [...plan.pending]], [[], [['192.0.2.100', 'x']]]);
  });
});
