// Every malformed StaticEgressIP/EgressIPPool is rejected by the real kube-apiserver at create time,
// with a message that names the offending field; well-formed ones are accepted (DESIGN §2).
import assert from 'node:assert/strict';
import { useCluster } from '@static-egress/e2e/k8s';
import { malformedObjects, wellFormedObjects } from '../../src/testdata/malformed.js';

describe('CRD validation against the real apiserver', function () {
  this.timeout(180_000);
  const k8s = useCluster();

  before(async () => {
    await k8s.cluster.applyCRDs();
    await k8s.cluster.ensureNamespace('shop');
  });

  it(`has at least 15 malformed cases (has ${malformedObjects.length})`, () => {
    assert.ok(malformedObjects.length >= 15);
  });

  for (const c of malformedObjects) {
    it(`rejects ${c.name} naming ${c.expectField}`, async () => {
      const res = await k8s.cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(c.object), reject: false });
      assert.notEqual(res.exitCode, 0, `accepted: ${JSON.stringify(c.object)}\n${res.stdout}`);
      assert.ok(res.stderr.includes(c.expectField), `message does not name ${c.expectField}: ${res.stderr}`);
      if (c.expectMessage) assert.match(res.stderr, c.expectMessage);
    });
  }

  for (const c of wellFormedObjects) {
    it(`accepts ${c.name}`, async () => {
      const res = await k8s.cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(c.object), reject: false });
      assert.equal(res.exitCode, 0, res.stderr);
    });
  }
});
