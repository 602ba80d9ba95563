// A moved IP prefers its standby gateways (issue 16 §1): the manager and the agents compute the same
// ring (crds computeStandbys), so the node that takes an IP over has its SNAT programmed already.
import assert from 'node:assert/strict';
import { computeStandbys } from '@static-egress/crds';
import { assignEgressIPs, type AssignInput, type AssignNode } from './assign.js';

const node = (name: string, extra: Partial<AssignNode> = {}): AssignNode => ({ name, labels: { gw: 'true' }, annotations: {}, ready: true, cordoned: false, ...extra });

function world(nodes: AssignNode[], health: Map<string, boolean>, previous: Map<string, string>): AssignInput {
  return {
    policies: [{ key: 'shop/db', createdAt: 1, ips: [{ ip: '192.0.2.100', pool: 'lan' }] }],
    pools: [{ name: 'lan', nodeSelector: { matchLabels: { gw: 'true' } }, maxIPsPerNode: 10 }],
    nodes, health, previous, capacityAnnotation: 'staticegress.io/max-egress-ips',
  };
}

describe('assignEgressIPs: a moved IP goes to a standby', () => {
  const names = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'];

  it('a lost holder\'s IP goes to its first healthy standby, not the least-loaded node', () => {
    for (const holder of names) {
      const standbys = computeStandbys(names, '192.0.2.100', holder);
      const health = new Map(names.map((n) => [n, n !== holder]));
      const out = assignEgressIPs(world(names.map((n) => node(n)), health, new Map([['192.0.2.100', holder]])));
      assert.equal(out.assignments.get('192.0.2.100'), standbys[0], `holder ${holder}`);
      health.set(standbys[0]!, false); // the first standby is failing too: the second
      const out2 = assignEgressIPs(world(names.map((n) => node(n)), health, new Map([['192.0.2.100', holder]])));
      assert.equal(out2.assignments.get('192.0.2.100'), standbys[1], `holder ${holder}, first standby down`);
    }
  });

  it('with no standby able to take it, the least-loaded node does', () => {
    const holder = 'g1';
    const [s1, s2] = computeStandbys(names, '192.0.2.100', holder);
    const health = new Map(names.map((n) => [n, n !== holder && n !== s1 && n !== s2]));
    const out = assignEgressIPs(world(names.map((n) => node(n)), health, new Map([['192.0.2.100', holder]])));
    const to = out.assignments.get('192.0.2.100');
    assert.ok(to && ![holder, s1, s2].includes(to), `went to ${to}`);
  });
});
