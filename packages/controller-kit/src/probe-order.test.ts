import assert from 'node:assert/strict';
import { PROBE_AUTH_HEADER, PROBE_RUN_HEADER, probeHeaders, probeKeyFromText, ProbeVerifier } from './probe-auth.js';
import { formatOrder, orderHoldMs, parseOrder, PROBE_ORDER_HEADER, validateOrder } from './probe-order.js';

const key = probeKeyFromText('0123456789abcdef0123456789abcdef');
const other = probeKeyFromText('fedcba9876543210fedcba9876543210');

describe('probe orders (issue 16)', () => {
  it('carries a claim and a release bound to the probe token: the agent reads the order once', () => {
    const order = { claim: ['192.0.2.100', '2001:db8::5'], release: ['198.51.100.7'] };
    const h = probeHeaders(key, 'n1', 1_000, { renew: true, run: 'run1', nonce: 'nonce-0001', order });
    const v = new ProbeVerifier({ key, node: 'n1' });
    assert.deepEqual(v.verify(h[PROBE_AUTH_HEADER], 1_010, h[PROBE_RUN_HEADER], h[PROBE_ORDER_HEADER]), { ok: true, renew: true, sentAt: 1_000, run: 'run1', order });
    assert.deepEqual(v.verify(h[PROBE_AUTH_HEADER], 1_020, h[PROBE_RUN_HEADER], h[PROBE_ORDER_HEADER]), { ok: false, reason: 'replayed' });
  });

  it('travels without a run too (a manager that sends none)', () => {
    const order = { claim: ['192.0.2.100'], release: [] };
    const h = probeHeaders(key, 'n1', 1_000, { renew: false, nonce: 'nonce-0002', order });
    assert.equal(h[PROBE_RUN_HEADER], undefined);
    const v = new ProbeVerifier({ key, node: 'n1' });
    assert.deepEqual(v.verify(h[PROBE_AUTH_HEADER], 1_000, undefined, h[PROBE_ORDER_HEADER]), { ok: true, renew: false, sentAt: 1_000, order });
  });

  it('refuses a forged order: another key, another node, another token, an edited list', () => {
    const order = { claim: ['192.0.2.100'], release: [] };
    const mine = probeHeaders(key, 'n1', 1_000, { renew: true, nonce: 'nonce-0003', order });
    const forged = probeHeaders(other, 'n1', 1_000, { renew: true, nonce: 'nonce-0003', order })[PROBE_ORDER_HEADER];
    const forNode2 = probeHeaders(key, 'n2', 1_000, { renew: true, nonce: 'nonce-0003', order })[PROBE_ORDER_HEADER];
    const otherToken = probeHeaders(key, 'n1', 1_000, { renew: true, nonce: 'nonce-0004', order })[PROBE_ORDER_HEADER];
    const edited = mine[PROBE_ORDER_HEADER]!.replace('192.0.2.100', '192.0.2.101');
    for (const bad of [forged, forNode2, otherToken, edited, 'claim=192.0.2.100;release=', ['a', 'b']]) {
      const v = new ProbeVerifier({ key, node: 'n1' });
      assert.deepEqual(v.verify(mine[PROBE_AUTH_HEADER], 1_000, undefined, bad), { ok: false, reason: 'bad-signature' }, String(bad));
    }
  });

  it('an older agent that reads no order header still verifies the probe (upgrade in either order)', () => {
    const h = probeHeaders(key, 'n1', 1_000, { renew: true, run: 'run1', nonce: 'nonce-0005', order: { claim: ['192.0.2.100'], release: [] } });
    const v = new ProbeVerifier({ key, node: 'n1' });
    assert.deepEqual(v.verify(h[PROBE_AUTH_HEADER], 1_000, h[PROBE_RUN_HEADER]), { ok: true, renew: true, sentAt: 1_000, run: 'run1' });
  });

  it('signs its hold with it: an edited hold refuses the probe', () => {
    const order = { claim: ['192.0.2.100'], release: [], holdMs: 750 };
    const h = probeHeaders(key, 'n1', 1_000, { renew: true, nonce: 'nonce-0006', order });
    assert.match(h[PROBE_ORDER_HEADER]!, /;hold=750;/);
    assert.deepEqual(new ProbeVerifier({ key, node: 'n1' }).verify(h[PROBE_AUTH_HEADER], 1_000, undefined, h[PROBE_ORDER_HEADER]), { ok: true, renew: true, sentAt: 1_000, order });
    const longer = h[PROBE_ORDER_HEADER]!.replace('hold=750', 'hold=9999');
    assert.deepEqual(new ProbeVerifier({ key, node: 'n1' }).verify(h[PROBE_AUTH_HEADER], 1_000, undefined, longer), { ok: false, reason: 'bad-signature' });
  });

  it('holds less than a deposed leader can still act: Lease duration − renew deadline − margin, none when too short', () => {
    assert.equal(orderHoldMs(3_000, 2_000), 750);
    assert.equal(orderHoldMs(15_000, 10_000), 4_750);
    assert.equal(orderHoldMs(60_000, 10_000), 10_000);
    assert.equal(orderHoldMs(2_200, 2_000), 0, 'a gap of 200 ms leaves no safe hold: orders off');
  });

  it('parses only canonical, distinct addresses of either family', () => {
    assert.deepEqual(parseOrder('claim=192.0.2.1,2001:db8::1;release=192.0.2.2'), { claim: ['192.0.2.1', '2001:db8::1'], release: ['192.0.2.2'] });
    for (const bad of ['claim=;release=', 'claim=192.0.2.01;release=', 'claim=2001:DB8::1;release=', 'claim=x;release=', 'claim=192.0.2.1;release=192.0.2.1',
      'release=192.0.2.1;claim=', 'claim=192.0.2.1']) assert.equal(parseOrder(bad), undefined, bad);
    assert.equal(formatOrder({ claim: ['192.0.2.1'], release: [] }), 'claim=192.0.2.1;release=');
    assert.throws(() => validateOrder({ claim: [], release: [] }), /at least one/);
    assert.throws(() => validateOrder({ claim: ['192.0.2.010'], release: [] }), /canonical/);
    assert.deepEqual(parseOrder('claim=192.0.2.1;release=;hold=750'), { claim: ['192.0.2.1'], release: [], holdMs: 750 });
    for (const bad of ['claim=192.0.2.1;release=;hold=0', 'claim=192.0.2.1;release=;hold=-1', 'claim=192.0.2.1;release=;hold=20000', 'claim=192.0.2.1;release=;hold=']) {
      assert.equal(parseOrder(bad), undefined, bad);
    }
    assert.throws(() => validateOrder({ claim: ['192.0.2.1'], release: [], holdMs: 0.5 }), /holds 1/);
  });
});
