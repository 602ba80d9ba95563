import assert from 'node:assert/strict';
import { renderCoreEvent } from './events.js';

describe('renderCoreEvent', () => {
  const e = { namespace: 'shop', involvedObject: { apiVersion: 'v1', kind: 'Namespace', name: 'shop', namespace: 'shop' }, reason: 'R', message: 'x'.repeat(2000), type: 'Warning' as const };
  const at = new Date(0x18000000000);

  it('names the Event after the object, the time and the sequence; message cut at 1024; count 1', () => {
    const ev = renderCoreEvent(e, at, 4097, { component: 'static-egress-manager', instance: 'm-1' });
    assert.equal(ev.metadata.name, 'shop.18000000000001');
    assert.equal(ev.metadata.namespace, 'shop');
    assert.equal(ev.message?.length, 1024);
    assert.deepEqual([ev.reportingComponent, ev.reportingInstance, ev.count, ev.source], ['static-egress-manager', 'm-1', 1, { component: 'static-egress-manager' }]);
    assert.notEqual(renderCoreEvent(e, at, 4098, { component: 'c', instance: 'i' }).metadata.name, ev.metadata.name);
  });

  it('carries the host for an agent\'s Event', () => {
    assert.deepEqual(renderCoreEvent(e, at, 0, { component: 'static-egress-agent', instance: 'n1', host: 'n1' }).source, { component: 'static-egress-agent', host: 'n1' });
  });
});
