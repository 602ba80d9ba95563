// Dual-stack (issue 11) against a real kube-apiserver (RBAC on) and a real manager process with the
// shipped RBAC: a policy with two IPv4 and two IPv6 egress IPs gets each family spread over distinct
// nodes (an IPv4 and an IPv6 IP may share one); a node without an IPv4 InternalIP is probed over IPv6
// and holds an IP; when it is lost its IP fails over; a node's IPv6 address is never an egress IP;
// a single-family policy says on Ready that the other family's traffic keeps the node's address.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POOL_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';
import { freePorts, useCluster } from '../../../../e2e/src/k8s/index.js';
import {
  FakeAgent, condition, createNode, createPolicy, getPolicy, installManagerRBAC, leaseHolder, spawnManager, stopManager, waitFor, type ManagerProcess,
} from './support.js';

/** gw-6 has only an IPv6 InternalIP (::1, where its agent stand-in listens); gw-1 also has an IPv6 ExternalIP. */
const NODES: [name: string, internalIP: string, extra?: string][] = [['gw-1', '127.0.0.31', '2001:db8::ff'], ['gw-2', '127.0.0.32'], ['gw-6', '::1']];
const DUAL = ['192.0.2.100', '192.0.2.101', '2001:db8::100', '2001:db8::101'];

describe('dual-stack policies (real apiserver, real manager)', function () {
  this.timeout(180_000);
  const k8s = useCluster();
  let kc: KubeConfig;
  let manager: ManagerProcess | undefined;
  const agents = new Map<string, FakeAgent>();
  let failed = false;

  before(async function () {
    this.timeout(240_000);
    const c = k8s.cluster;
    kc = c.kubeConfig();
    await c.applyCRDs();
    const saKubeconfig = await installManagerRBAC(c);
    const [agentPort, http] = await freePorts(2) as [number, number];
    for (const [name, internalIP, extra] of NODES) {
      const agent = new FakeAgent(internalIP, agentPort);
      await agent.start();
      agents.set(name, agent);
      await createNode(kc, name, internalIP, extra ? { extraAddress: extra } : {});
    }
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'dual' }, spec: { cidrs: [{ cidr: '192.0.2.96/28' }, { cidr: '2001:db8::/64' }] } },
    });
    await c.ensureNamespace('shop');
    manager = spawnManager({ kubeconfig: saKubeconfig, identity: 'manager-a', agentPort, httpPort: http, dir: dirname(c.logs.apiServer) });
    await waitFor('manager-a to lead', async () => (await leaseHolder(kc)) === 'manager-a', 60_000, 100);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    await stopManager(manager);
    await Promise.all([...agents.values()].map((a) => a.close()));
    if (failed && manager) console.log(`--- manager log (tail) ---\n${manager.log().split('\n').slice(-80).join('\n')}`);
  });

  const assignmentsOf = (p: StaticEgressIP) => new Map((p.status?.assignments ?? []).map((a) => [a.egressIP, a.node]));

  function assertSpreadPerFamily(held: Map<string, string>): void {
    for (const family of [['192.0.2.100', '192.0.2.101'], ['2001:db8::100', '2001:db8::101']]) {
      const nodes = family.map((ip) => held.get(ip));
      assert.ok(nodes.every((n) => n !== undefined), `unassigned: ${JSON.stringify([...held])}`);
      assert.notEqual(nodes[0], nodes[1], `two IPs of one family on one node: ${JSON.stringify([...held])}`);
    }
  }

  it('spreads each family over distinct nodes; the IPv6-only node, probed over IPv6, holds one', async () => {
    await createPolicy(kc, 'shop', 'dual', { egressIPs: DUAL });
    const p = await waitFor('all four assigned', async () => {
      const x = await getPolicy(kc, 'shop', 'dual');
      return x.status?.assignments?.length === 4 && condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    const held = assignmentsOf(p);
    assertSpreadPerFamily(held);
    assert.ok([...held.values()].includes('gw-6'), `gw-6 (IPv6 InternalIP only) holds nothing: ${JSON.stringify([...held])}`);
    const shared = [...new Set(held.values())].some((n) => [...held].filter(([, x]) => x === n).length === 2);
    assert.ok(shared, 'with three nodes and four IPs, a node holds an IPv4 and an IPv6 IP of the policy');
    assert.deepEqual(p.spec.destinationCIDRs, undefined, 'no schema default: parsePolicy derives 0.0.0.0/0 and ::/0');
    assert.equal(condition(p, 'Ready')?.message, 'every egress IP is authorized and held by a gateway node');
  });

  it('a node\'s IPv6 address is never an egress IP; an IPv4-only policy says its IPv6 traffic keeps the node address', async () => {
    await createPolicy(kc, 'shop', 'node-addr', { egressIPs: ['2001:db8::ff'] });
    await createPolicy(kc, 'shop', 'v4-only', { egressIPs: ['192.0.2.110'] });
    const bad = await waitFor('node-addr Ready=False', async () => {
      const x = await getPolicy(kc, 'shop', 'node-addr');
      return condition(x, 'Ready')?.status === 'False' ? x : undefined;
    });
    assert.equal(condition(bad, 'Ready')?.reason, 'IPIsNodeAddress');
    assert.deepEqual(bad.status?.assignments ?? [], []);
    const v4 = await waitFor('v4-only Ready', async () => {
      const x = await getPolicy(kc, 'shop', 'v4-only');
      return condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    assert.match(condition(v4, 'Ready')!.message, /it has no IPv6 egress IP, so the selected pods' IPv6 traffic keeps the node's address/);
  });

  it('the IPv6-only node lost (its probes over IPv6 time out): its IP fails over, each family still spread', async () => {
    const before = assignmentsOf(await getPolicy(kc, 'shop', 'dual'));
    const lost = [...before].filter(([, n]) => n === 'gw-6').map(([ip]) => ip);
    agents.get('gw-6')!.hang();
    const p = await waitFor('gw-6 holds nothing and all four are held again', async () => {
      const x = await getPolicy(kc, 'shop', 'dual');
      const held = assignmentsOf(x);
      return held.size === 4 && ![...held.values()].includes('gw-6') ? x : undefined;
    }, 60_000, 100);
    const held = assignmentsOf(p);
    assertSpreadPerFamily(held);
    for (const ip of lost) assert.notEqual(held.get(ip), 'gw-6');
    for (const [ip, node] of before) if (node !== 'gw-6') assert.equal(held.get(ip), node, `${ip} moved although its holder ${node} is alive`);
  });
});
