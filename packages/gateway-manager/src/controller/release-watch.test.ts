import assert from 'node:assert/strict';
import { computeReleaseObserved } from './release-watch.js';
import type { ClusterView, NodeInfo } from '@static-egress/crds';
import { computeProbeTargets, type ManagerMemory } from './pass.js';

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

describe('computeProbeTargets while a release is open', () => {
  const node = (name: string, labels: Record<string, string>) => ({ name, internalIP: `192.0.2.${name.length}`, deleted: false, labels }) as unknown as NodeInfo;
  const pools = [{ nodeSelector: { matchLabels: { gw: '' } } }] as unknown as ClusterView['pools'];
  const nodes = [node('a', {}), node('bb', { gw: '' })];

  it('keeps probing a node that lost its gateway label until its release is confirmed', () => {
    const releasing = { releasing: new Map([['192.0.2.10', { node: 'a', since: 0 }]]), previous: new Map() };
    assert.deepEqual(computeProbeTargets({ nodes, pools }, releasing).map((t) => t.node), ['a', 'bb']);
    assert.deepEqual(computeProbeTargets({ nodes, pools }, { releasing: new Map(), previous: new Map() }).map((t) => t.node), ['bb']);
  });
});
