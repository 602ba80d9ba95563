import assert from 'node:assert/strict';
import { FakeClock, type ProbeOrder } from '@static-egress/controller-kit';
import { NodeProber } from '../health/prober.js';
import { computeOrders } from './orders.js';

const a = (egressIP: string, node: string) => ({ egressIP, node });

describe('computeOrders (issue 16: a move on the probe channel)', () => {
  it('orders the new holder to claim and the old one to release, per node, what the status is about to say', () => {
    const orders = computeOrders([
      { before: [a('192.0.2.100', 'n2'), a('192.0.2.101', 'n3')], after: [a('192.0.2.100', 'n3'), a('192.0.2.101', 'n3')] },
      { before: undefined, after: [a('2001:db8::1', 'n4')] },
      { before: [a('192.0.2.102', 'n2')], after: [] }, // a planned move's release status
    ]);
    assert.deepEqual(Object.fromEntries(orders), {
      n2: { claim: [], release: ['192.0.2.100', '192.0.2.102'] },
      n3: { claim: ['192.0.2.100'], release: [] },
      n4: { claim: ['2001:db8::1'], release: [] },
    });
  });

  it('orders nothing for an unchanged assignment, and nothing contradictory for one node', () => {
    assert.equal(computeOrders([{ before: [a('192.0.2.100', 'n2')], after: [a('192.0.2.100', 'n2')] }]).size, 0);
    const torn = computeOrders([
      { before: [a('192.0.2.100', 'n2')], after: [] },
      { before: [], after: [a('192.0.2.100', 'n2')] },
    ]);
    assert.equal(torn.size, 0, 'claim and release of one IP for one node cancel: the statuses decide');
  });
});

describe('NodeProber.order', () => {
  it('sends the order signed on a probe of its own at once; its answer reports what the node holds and no verdict', async () => {
    const clock = new FakeClock(0);
    const sent: { order?: ProbeOrder; at: number }[] = [];
    const held: string[] = [];
    const changes: string[] = [];
    const prober = new NodeProber({
      clock, port: 9310, intervalMs: 20, timeoutMs: 50, failureThreshold: 4,
      fetch: (_url, _signal, headers) => Promise.resolve(headers?.order ? { ok: true, egressIPs: ['192.0.2.100'] } : { ok: true, egressIPs: [] }),
      authenticate: (_node, { order }) => { sent.push({ ...(order ? { order } : {}), at: clock.now() }); return order ? { order: 'yes' } : {} as Record<string, string>; },
      onChange: (node, healthy) => changes.push(`${node}=${healthy}`),
      onHeld: (node, ips) => held.push(`${node}:${[...ips].join(',')}`),
    });
    assert.equal(prober.order('n1', { claim: ['192.0.2.100'], release: [] }), false, 'not a target: nothing sent');
    prober.setTargets([{ node: 'n1', address: '192.0.2.11' }]);
    await clock.advanceAsync(5);
    assert.equal(prober.order('n1', { claim: ['192.0.2.100'], release: [] }), true);
    await clock.advanceAsync(0);
    assert.deepEqual(sent.filter((s) => s.order), [{ order: { claim: ['192.0.2.100'], release: [] }, at: 5 }], 'sent at once, not at the next interval');
    assert.deepEqual(held, ['n1:', 'n1:192.0.2.100']);
    assert.deepEqual(changes, ['n1=true']);
    prober.stop();
  });
});
