// Zones (issue 9): a director pins each local pod among the egress IPs held in its node's zone when
// there are any, and keeps its zone-free pin otherwise.
import assert from 'node:assert/strict';
import { pinEgressIP } from '@static-egress/crds';
import { computeNodeState } from './compute.js';
import { fixtureInput } from './fixtures.js';

describe('computeNodeState with zones', () => {
  const dbDirected = (near: ((podNode: string) => ((ip: string) => boolean) | undefined) | undefined) =>
    computeNodeState(fixtureInput({ pin: pinEgressIP, ...(near ? { nearIPs: near } : {}) }))
      .director.filter((d) => d.policyKey === 'shop/db')
      .map((d) => [d.egressIP, d.podIPs]);

  it('sends every local pod of shop/db to the IP held in its zone (n3 holds 192.0.2.101)', () => {
    const near = (podNode: string) => (podNode === 'n1' ? (ip: string) => ip === '192.0.2.101' : undefined);
    assert.deepEqual(dbDirected(near), [['192.0.2.101', ['203.0.113.33', '203.0.113.34']]]);
    const other = (podNode: string) => (podNode === 'n1' ? (ip: string) => ip === '192.0.2.100' : undefined);
    assert.deepEqual(dbDirected(other), [['192.0.2.100', ['203.0.113.33', '203.0.113.34']]]);
  });

  it('pins as without zones when its zone holds none of the IPs', () => {
    assert.deepEqual(dbDirected(() => () => false), dbDirected(undefined));
  });
});
