import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { Fence, isRemoteProbe } from './fence.js';

describe('Fence', () => {
  it('fences after the window without contact and unfences on contact', () => {
    const clock = new FakeClock();
    const f = new Fence(clock, 3000);
    clock.advance(3000);
    assert.equal(f.isFenced(), false);
    clock.advance(1);
    assert.equal(f.isFenced(), true);
    f.contact('manager');
    assert.equal(f.isFenced(), false);
    assert.equal(f.msUntilFence(), 3001);
  });
  it('only probes from elsewhere count as the manager', () => {
    const local = new Set(['192.0.2.11']);
    assert.equal(isRemoteProbe('::ffff:192.0.2.201', local), true);
    assert.equal(isRemoteProbe('127.0.0.1', local), false);
    assert.equal(isRemoteProbe('::1', local), false);
    assert.equal(isRemoteProbe('192.0.2.11', local), false);
    assert.equal(isRemoteProbe(undefined, local), false);
  });
});
