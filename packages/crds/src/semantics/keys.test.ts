import assert from 'node:assert/strict';
import { keyOf, objectKey, splitKey } from './keys.js';

describe('object keys (the informers\' cache keys)', () => {
  it('namespace/name, or name for a cluster-scoped object, and back', () => {
    assert.equal(keyOf({ metadata: { namespace: 'shop', name: 'db' } }), 'shop/db');
    assert.equal(keyOf({ metadata: { name: 'lan' } }), 'lan');
    for (const [ns, name] of [['shop', 'db'], ['', 'lan']] as const) assert.deepEqual(splitKey(objectKey(ns, name)), { namespace: ns, name });
  });
});
