import assert from 'node:assert/strict';
import { cidrContainsIP, mustParseCIDR } from '@static-egress/crds';
import { EGRESS_POOL_CIDR6, managerIP6, nodeIP6, ROUTER_LAN_IP6 } from '../../e2e/src/lab/ipv6.js';
import { HAND_IP6 } from '../lab/dual-stack-failover.js';
import { churnPolicy, MANAGERS, NODES, PERF_POOL_CIDR6, perfIP, perfSizes, perfTiming, PODS_PER_NODE } from './perf-scale-plan.js';

describe('perf-scale plan (issue 16 §4)', () => {
  it('2,400 steady and 1,200 churn addresses, distinct, in the pool, none a node, manager, router, suite or hand address', () => {
    const s = perfSizes(false);
    const steady = Array.from({ length: s.policies }, (_, k) => perfIP(k));
    const churn = Array.from({ length: 1_200 }, (_, c) => churnPolicy(c, s.policies, NODES * PODS_PER_NODE).ip);
    const all = new Set([...steady, ...churn]);
    assert.equal(all.size, 3_600);
    const others = [...Array.from({ length: NODES }, (_, i) => nodeIP6(i + 1)), ...Array.from({ length: MANAGERS }, (_, m) => managerIP6(m + 1)), ROUTER_LAN_IP6, HAND_IP6];
    for (const ip of others) assert.ok(!all.has(ip), ip);
    const pool = mustParseCIDR(PERF_POOL_CIDR6), suites = mustParseCIDR(EGRESS_POOL_CIDR6);
    for (const ip of all) assert.ok(cidrContainsIP(pool, ip) && !cidrContainsIP(suites, ip), ip);
    assert.throws(() => perfIP(4096), /outside the pool/);
  });

  it('churn policies live in the namespaces without pods and reuse an address only after 1,200 others', () => {
    const a = churnPolicy(0, 2_400, 240), b = churnPolicy(1_200, 2_400, 240), c = churnPolicy(2_159, 2_400, 240);
    assert.deepEqual(a, { namespace: 'perf-240', name: 'churn-0', ip: perfIP(2_400) });
    assert.equal(b.ip, a.ip);
    assert.equal(c.namespace, 'perf-2399');
    assert.equal(churnPolicy(2_160, 2_400, 240).namespace, 'perf-240');
  });
});

describe('perf-scale timing', () => {
  it('shared relaxes the manager and the agents; defaults passes nothing; anything else is refused', () => {
    assert.deepEqual(perfTiming('defaults'), { name: 'defaults', managerArgs: [], agentArgs: [] });
    const s = perfTiming(undefined);
    assert.equal(s.name, 'shared');
    assert.ok(s.managerArgs.includes('--probe-interval') && s.agentArgs.includes('--fence-after'));
    assert.throws(() => perfTiming('fast'), /SE_PERF_TIMING: want 'shared' \(default\) or 'defaults', got "fast"/);
  });
});
