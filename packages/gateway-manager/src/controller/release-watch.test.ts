import assert from 'node:assert/strict';
import { computeReleaseObserved } from './release-watch.js';
import type { ManagerMemory } from './pass.js';

describe('computeReleaseObserved', () => {
  const memory: ManagerMemory = { releasing: new Map([['192.0.2.10', { node: 'a', since: 0 }], ['192.0.2.11', { node: 'b', since: 0 }]]) };

  it('is news when a releasing node no longer reports the IP', () => {
    assert.equal(computeReleaseObserved(memory, 'a', new Set(['192.0.2.99'])), true);
  });

  it('is no news while it still holds it, for another node, or with nothing releasing', () => {
    assert.equal(computeReleaseObserved(memory, 'a', new Set(['192.0.2.10'])), false);
    assert.equal(computeReleaseObserved(memory, 'c', new Set()), false);
    assert.equal(computeReleaseObserved({ releasing: new Map() }, 'a', new Set()), false);
  });
});
