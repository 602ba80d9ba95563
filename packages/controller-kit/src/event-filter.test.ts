import assert from 'node:assert/strict';
import { RecentEvents, eventKey } from './event-filter.js';

describe('RecentEvents', () => {
  it('lets one Event per object, reason and message through while it stands, again after the TTL', () => {
    const r = new RecentEvents(60_000);
    const k = eventKey('uid-1', 'EgressIPNoGateway', 'no healthy gateway node can hold 192.0.2.100');
    assert.equal(r.repeated(k, 0), false);
    assert.equal(r.repeated(k, 59_999), true);
    assert.equal(r.repeated(eventKey('uid-2', 'EgressIPNoGateway', 'no healthy gateway node can hold 192.0.2.100'), 1), false, 'another object');
    assert.equal(r.repeated(eventKey('uid-1', 'EgressIPAssigned', 'no healthy gateway node can hold 192.0.2.100'), 1), false, 'another reason');
    assert.equal(r.repeated(k, 60_000), false, 'the TTL passed');
  });

  it('forget lets the next one through (its write failed); old entries are pruned', () => {
    const r = new RecentEvents(1_000);
    assert.equal(r.repeated('a', 0), false);
    r.forget('a');
    assert.equal(r.repeated('a', 1), false);
    for (let i = 0; i < 100; i++) r.repeated(`k${i}`, 2);
    assert.equal(r.size, 101);
    r.repeated('late', 5_000);
    assert.equal(r.size, 1, 'everything older than the TTL is gone');
  });
});
