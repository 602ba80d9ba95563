// Cloud-mode properties of assignEgressIPs (issue 13): an IP only on a node whose subnet contains it,
// never more IPs on a node than its cloud capacity, NoSubnet exactly when no node's subnet has the IP (unless a holder drains it first),
// and the same invariants over rounds where the previous result feeds the next.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContainsIP, mustParseCIDRv4 } from '@static-egress/crds';
import { assignEgressIPs, type AssignInput, type CloudPlacement } from './assign.js';

const SUBNETS = ['192.0.2.0/26', '192.0.2.64/26'];
const IPS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.70', '192.0.2.71', '192.0.2.72', '192.0.2.200'];
const NODES = ['n0', 'n1', 'n2', 'n3'];

const cloudArb = fc.array(fc.record({ subnet: fc.option(fc.constantFrom(...SUBNETS), { freq: 4 }), capacity: fc.integer({ min: 0, max: 3 }) }), {
  minLength: NODES.length, maxLength: NODES.length,
}).map((list) => new Map(list.flatMap((c, i) => (c.subnet === null ? [] : [[NODES[i]!, { subnets: [c.subnet], capacity: c.capacity } as CloudPlacement] as const]))));

const inputArb = fc.record({
  cloud: cloudArb,
  owners: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: IPS.length, maxLength: IPS.length }),
  healthy: fc.array(fc.boolean(), { minLength: NODES.length, maxLength: NODES.length }),
}).map(({ cloud, owners, healthy }): AssignInput => ({
  policies: [0, 1, 2].map((o) => ({ key: `ns/p${o}`, createdAt: o, ips: IPS.filter((_, i) => owners[i] === o).map((ip) => ({ ip, pool: 'vpc' })) })),
  pools: [{ name: 'vpc', maxIPsPerNode: 8 }],
  nodes: NODES.map((name) => ({ name, labels: {}, annotations: {}, ready: true, cordoned: false })),
  health: new Map(NODES.map((n, i) => [n, healthy[i] ?? true])),
  previous: new Map(),
  capacityAnnotation: 'staticegress.io/max-egress-ips',
  cloud,
}));

function check(input: AssignInput, result: ReturnType<typeof assignEgressIPs>): void {
  const cloud = input.cloud!;
  const load = new Map<string, number>();
  for (const [ip, node] of result.assignments) {
    const subnets = cloud.get(node)?.subnets ?? [];
    assert.ok(subnets.some((s) => cidrContainsIP(mustParseCIDRv4(s), ip)), `${ip} on ${node} outside ${subnets.join(',')}`);
    load.set(node, (load.get(node) ?? 0) + 1);
  }
  for (const [node, n] of load) assert.ok(n <= cloud.get(node)!.capacity, `${node} holds ${n} > capacity`);
  for (const u of result.unassigned) {
    const inSome = [...cloud.values()].some((c) => c.subnets.some((s) => cidrContainsIP(mustParseCIDRv4(s), u.ip)));
    // a live holder outside the subnet now releases first (Draining), as on any planned move
    if (u.reason !== 'Draining') assert.equal(u.reason === 'NoSubnet', !inSome, `${u.ip}: ${u.reason}`);
  }
}

describe('assignEgressIPs in cloud mode (properties)', () => {
  it('subnets and capacity hold, in one pass and over rounds', () => {
    fc.assert(fc.property(inputArb, cloudArb, (input, later) => {
      const first = assignEgressIPs(input);
      check(input, first);
      const next = { ...input, cloud: later, previous: first.assignments, releasing: first.releasing };
      check(next, assignEgressIPs(next));
    }), { numRuns: 1000 });
  });
});
