// The leader's own statuses count as current until the cache has caught up with them (issue 16 §4).
import assert from 'node:assert/strict';
import type { ClusterView, StaticEgressIP, StaticEgressIPStatus } from '@static-egress/crds';
import { StatusOverlay } from './status-overlay.js';

const obj = (rv: string, uid = 'u1', status?: StaticEgressIPStatus) =>
  ({ metadata: { name: 'p', namespace: 'shop', uid, resourceVersion: rv }, spec: {}, ...(status ? { status } : {}) }) as unknown as StaticEgressIP;
const view = (o: StaticEgressIP | undefined) => ({ policyObjects: new Map(o ? [['shop/p', o]] : []) }) as unknown as ClusterView;
const mine: StaticEgressIPStatus = { observedGeneration: 1, assignments: [{ egressIP: '192.0.2.100', node: 'n1' }] };
const statusIn = (v: ClusterView) => v.policyObjects.get('shop/p')?.status;

describe('StatusOverlay', () => {
  it('shows a queued status until it is written and the cache has moved past the object it came from', () => {
    const o = new StatusOverlay();
    o.expect('shop/p', 'u1', mine, '10');
    assert.equal(statusIn(o.apply(view(obj('10')))), mine, 'queued: the cache still has the old object');
    assert.equal(statusIn(o.apply(view(obj('11')))), mine, 'the cache moved (another change) but the write is not done yet');
    o.written('shop/p', mine);
    assert.equal(statusIn(o.apply(view(obj('10')))), mine, 'written, the watch has not delivered it');
    const cached = obj('12', 'u1', { observedGeneration: 1 });
    assert.equal(statusIn(o.apply(view(cached))), cached.status, 'the cache caught up: it is what counts');
    assert.equal(o.size, 0);
  });

  it('ends with the object (deleted or replaced) and with a failed write; an older write does not mark a newer status', () => {
    const o = new StatusOverlay();
    o.expect('shop/p', 'u1', mine, '10');
    o.apply(view(undefined));
    assert.equal(o.size, 0, 'deleted');
    o.expect('shop/p', 'u1', mine, '10');
    o.apply(view(obj('20', 'u2')));
    assert.equal(o.size, 0, 'replaced by an object of the same name');
    const newer: StaticEgressIPStatus = { observedGeneration: 2 };
    o.expect('shop/p', 'u1', mine, '10');
    o.expect('shop/p', 'u1', newer, '10');
    o.written('shop/p', mine);
    assert.equal(statusIn(o.apply(view(obj('11')))), newer, 'the newer one is not written yet');
    o.failed('shop/p', mine);
    assert.equal(o.size, 1, 'a failure of the older write leaves the newer one');
    o.failed('shop/p', newer);
    assert.equal(o.size, 0);
  });
});
