// The gateway-manager against a real kube-apiserver (RBAC on), running as its own process with the
// shipped ServiceAccount and RBAC. Agents are tiny HTTP servers on 127.0.0.N standing in for nodes.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POOL_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';
import { freePorts, useCluster } from '../../../../e2e/src/k8s/index.js';
import {
  FakeAgent,
  condition,
  createNode,
  createPolicy,
  createRunningPod,
  getPolicy,
  installManagerRBAC,
  leaseHolder,
  policyEvents,
  setNodeStatus,
  spawnManager,
  stopManager,
  waitFor,
  type ManagerProcess,
} from './support.js';

const NODES = ['gw-1', 'gw-2', 'gw-3', 'gw-4'];
const addressOf = (node: string) => `127.0.0.${NODES.indexOf(node) + 2}`;

describe('gateway-manager against a real apiserver', function () {
  this.timeout(180_000);
  const k8s = useCluster();
  let kc: KubeConfig;
  let saKubeconfig: string;
  let agentPort: number;
  const agents = new Map<string, FakeAgent>();
  const managers: ManagerProcess[] = [];
  let failed = false;

  before(async function () {
    this.timeout(240_000);
    const c = k8s.cluster;
    kc = c.kubeConfig();
    await c.applyCRDs();
    saKubeconfig = await installManagerRBAC(c);
    await c.ensureNamespace('shop', { egress: 'allowed' });
    await c.ensureNamespace('other', {});
    [agentPort] = await freePorts(1) as [number];
    for (const n of NODES) {
      const agent = new FakeAgent(addressOf(n), agentPort);
      await agent.start();
      agents.set(n, agent);
      // gw-1 also carries an address inside the pool, for the node-address clash.
      await createNode(kc, n, addressOf(n), n === 'gw-1' ? { extraAddress: '192.0.2.120' } : {});
    }
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: POOL_PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'EgressIPPool',
        metadata: { name: 'lan' },
        spec: {
          cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }],
          namespaceSelector: { matchLabels: { egress: 'allowed' } },
          nodeSelector: { matchExpressions: [{ key: 'staticegress.io/gateway', operator: 'Exists' }] },
          maxIPsPerNode: 4,
        },
      },
    });
    const [http1] = await freePorts(1) as [number];
    managers.push(spawnManager({ kubeconfig: saKubeconfig, identity: 'manager-a', agentPort, httpPort: http1, dir: dirname(c.logs.apiServer) }));
    await waitFor('manager-a to lead', async () => (await leaseHolder(kc)) === 'manager-a', 60_000, 100);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    // Stop the processes first: nothing below may keep them alive (useCluster's after may already have
    // removed the cluster directory with their logs).
    await Promise.all(managers.map((m) => stopManager(m)));
    await Promise.all([...agents.values()].map((a) => a.close()));
    if (failed) for (const m of managers) console.log(`--- ${m.identity} log (tail) ---\n${m.log().split('\n').slice(-60).join('\n')}`);
  });

  /** Resolves once the wall clock is past the second `obj` was created in. */
  async function afterCreationSecond(obj: StaticEgressIP): Promise<void> {
    const created = new Date(obj.metadata?.creationTimestamp ?? 0).getTime();
    const wait = created + 1_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 50));
  }

  async function waitPolicy(ns: string, name: string, ok: (p: StaticEgressIP) => boolean, ms = 30_000): Promise<StaticEgressIP> {
    return waitFor(`${ns}/${name} status`, async () => {
      const p = await getPolicy(kc, ns, name);
      return ok(p) ? p : undefined;
    }, ms);
  }

  async function waitEvent(ns: string, name: string, reason: string, message?: RegExp) {
    return waitFor(`${reason} Event on ${ns}/${name}${message ? ` matching ${message}` : ''}`, async () =>
      (await policyEvents(kc, ns, name)).find((e) => e.reason === reason && (!message || message.test(e.message ?? ''))), 30_000, 100);
  }

  it('assigns each egress IP of a policy to a different healthy gateway and writes status', async () => {
    await createPolicy(kc, 'shop', 'db', { egressIPs: ['192.0.2.100', '192.0.2.101'], podSelector: { matchLabels: { app: 'web' } } });
    const p = await waitPolicy('shop', 'db', (x) => x.status?.assignments?.length === 2 && condition(x, 'Ready')?.status === 'True');
    assert.equal(p.status?.observedGeneration, p.metadata?.generation);
    const nodes = p.status!.assignments!.map((a) => a.node);
    assert.equal(new Set(nodes).size, 2, 'two IPs of one policy on two nodes');
    for (const n of nodes) assert.ok(NODES.includes(n));
    assert.deepEqual(p.status!.assignments!.map((a) => a.egressIP), ['192.0.2.100', '192.0.2.101']);
    assert.equal(condition(p, 'Assigned')?.status, 'True');
    assert.equal(condition(p, 'Conflict')?.status, 'False');
    const ev = await waitEvent('shop', 'db', 'EgressIPAssigned');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.involvedObject.kind, 'StaticEgressIP');
    assert.equal(ev.involvedObject.uid, p.metadata?.uid);

    // A spec change bumps generation; status follows.
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: 'shop', plural: 'staticegressips', name: 'db', body: { spec: { egressIPs: ['192.0.2.100', '192.0.2.101', '192.0.2.102'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const p2 = await waitPolicy('shop', 'db', (x) => x.status?.observedGeneration === (p.metadata?.generation ?? 0) + 1 && x.status?.assignments?.length === 3);
    // sticky: the first two did not move
    assert.deepEqual(p2.status!.assignments!.slice(0, 2), p.status!.assignments);
    assert.equal(new Set(p2.status!.assignments!.map((a) => a.node)).size, 3);
  });

  it('IP equal to a node address: Conflict IPIsNodeAddress and an Event', async () => {
    await createPolicy(kc, 'shop', 'nodeaddr', { egressIPs: ['192.0.2.120'] });
    const p = await waitPolicy('shop', 'nodeaddr', (x) => condition(x, 'Conflict')?.reason === 'IPIsNodeAddress');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(condition(p, 'Ready')?.reason, 'IPIsNodeAddress');
    assert.deepEqual(p.status?.assignments ?? [], []);
    const ev = await waitEvent('shop', 'nodeaddr', 'EgressIPIsNodeAddress');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message ?? '', /192\.0\.2\.120 is the address of a node/);
  });

  it('IP in two policies: the older keeps it, the younger gets IPConflict and an Event', async () => {
    // creationTimestamp has one-second resolution and a same-second tie goes by namespace/name
    // ("shop/copycat" < "shop/db"), so make db unambiguously older first.
    await afterCreationSecond(await getPolicy(kc, 'shop', 'db'));
    await createPolicy(kc, 'shop', 'copycat', { egressIPs: ['192.0.2.100'], podSelector: { matchLabels: { app: 'other' } } });
    const p = await waitPolicy('shop', 'copycat', (x) => condition(x, 'Conflict')?.reason === 'IPConflict');
    assert.equal(condition(p, 'Ready')?.reason, 'IPConflict');
    assert.match(condition(p, 'Conflict')?.message ?? '', /older StaticEgressIP shop\/db/);
    assert.deepEqual(p.status?.assignments ?? [], []);
    const db = await getPolicy(kc, 'shop', 'db');
    assert.ok(db.status?.assignments?.some((a) => a.egressIP === '192.0.2.100'), 'the older policy keeps the IP');
    await waitEvent('shop', 'copycat', 'EgressIPConflict');
  });

  it('pod selected by two policies: the younger gets PodConflict and an Event', async () => {
    await createRunningPod(kc, 'shop', 'web-1', { app: 'web' }, 'gw-1', '203.0.113.33');
    await afterCreationSecond(await getPolicy(kc, 'shop', 'db'));
    await createPolicy(kc, 'shop', 'web-too', { egressIPs: ['192.0.2.105'], podSelector: { matchLabels: { app: 'web' } } });
    const p = await waitPolicy('shop', 'web-too', (x) => condition(x, 'Conflict')?.reason === 'PodConflict');
    assert.match(condition(p, 'Conflict')?.message ?? '', /shop\/web-1 are also selected by shop\/db for the same destination 0\.0\.0\.0\/0, which takes precedence/);
    const db = await getPolicy(kc, 'shop', 'db');
    assert.equal(condition(db, 'Conflict')?.status, 'False', 'the winner has no conflict');
    await waitEvent('shop', 'web-too', 'EgressIPPodConflict');
  });

  it('IP in no pool: Ready=False IPNotAuthorized and an Event', async () => {
    await createPolicy(kc, 'shop', 'nopool', { egressIPs: ['198.51.100.50'] });
    const p = await waitPolicy('shop', 'nopool', (x) => condition(x, 'Ready')?.reason === 'IPNotAuthorized');
    assert.match(condition(p, 'Ready')?.message ?? '', /198\.51\.100\.50 is not in any EgressIPPool/);
    assert.deepEqual(p.status?.assignments ?? [], []);
    await waitEvent('shop', 'nopool', 'EgressIPNotAuthorized');
  });

  it('namespace not admitted by the pool: IPNotAuthorized, so a tenant cannot claim another tenant\'s IP', async () => {
    await createPolicy(kc, 'other', 'steal', { egressIPs: ['192.0.2.110'] });
    const p = await waitPolicy('other', 'steal', (x) => condition(x, 'Ready')?.reason === 'IPNotAuthorized');
    assert.match(condition(p, 'Ready')?.message ?? '', /admits namespace other/);
    assert.deepEqual(p.status?.assignments ?? [], []);
    const ev = await waitEvent('other', 'steal', 'EgressIPNotAuthorized');
    assert.equal(ev.type, 'Warning');
  });

  it('pool status: capacity, IPs claimed by authorized policies, IPs held by a node (kubectl get eippool)', async () => {
    // By now: shop/db holds .100 .101 .102 and shop/web-too .105 (a pod conflict does not stop its IP);
    // copycat's .100 (conflict), nodeaddr's .120 (a node's address), nopool's and other/steal's IPs
    // (not authorized) do not count. 192.0.2.96/27: 30 host addresses (.96 is the network, reserved anyway).
    const pool = await waitFor('the lan pool status', async () => {
      const p = await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: GROUP, version: VERSION, plural: POOL_PLURAL, name: 'lan' }) as
        { metadata: { generation: number }; status?: { observedGeneration?: number; capacity?: number; allocated?: number; assigned?: number } };
      return p.status?.allocated === 4 && p.status.assigned === 4 ? p : undefined;
    }, 30_000);
    assert.deepEqual(pool.status, { observedGeneration: pool.metadata.generation, capacity: 30, allocated: 4, assigned: 4 });
    const table = await k8s.cluster.kubectl(['get', 'eippool', 'lan', '--no-headers', '-o', 'custom-columns=A:.status.allocated,C:.status.capacity']);
    assert.equal(table.stdout.trim().split(/\s+/).join(' '), '4 30');
  });

  it('a node whose agent stops answering loses its IPs to a healthy node (prints the time)', async () => {
    const before = await getPolicy(kc, 'shop', 'db');
    const victim = before.status!.assignments!.find((a) => a.egressIP === '192.0.2.100')!.node;
    const t0 = Date.now();
    agents.get(victim)!.hang(); // a lost node: probes time out
    const after = await waitPolicy('shop', 'db', (x) => {
      const a = x.status?.assignments?.find((y) => y.egressIP === '192.0.2.100');
      return a !== undefined && a.node !== victim;
    });
    const ms = Date.now() - t0;
    console.log(`      failover: agent on ${victim} stopped answering → 192.0.2.100 reassigned in status after ${ms} ms`);
    assert.ok(ms < 30_000);
    const nodes = after.status!.assignments!.map((a) => a.node);
    assert.ok(!nodes.includes(victim), 'every IP left the dead node');
    assert.equal(new Set(nodes).size, nodes.length, 'still one IP of the policy per node');
    const moved = await waitEvent('shop', 'db', 'EgressIPMoved');
    assert.equal(moved.type, 'Warning');
    assert.match(moved.message ?? '', new RegExp(`from ${victim}`));
    // The node comes back: nothing moves back (sticky).
    agents.get(victim)!.resume();
    await new Promise((r) => setTimeout(r, 1000));
    const later = await getPolicy(kc, 'shop', 'db');
    assert.deepEqual(later.status?.assignments, after.status?.assignments);
  });

  it('an agent restarting (its host refuses the connection) keeps the node\'s IPs for --agent-restart-grace, then loses them', async () => {
    const holderOf = async (ip: string) => (await getPolicy(kc, 'shop', 'db')).status?.assignments?.find((a) => a.egressIP === ip)?.node;
    const node = (await holderOf('192.0.2.101'))!;
    const agent = agents.get(node)!;
    // A restart shorter than the grace (3 s here, 10 s by default): nothing moves.
    await agent.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await holderOf('192.0.2.101'), node, 'kept while the agent restarts');
    await agent.start();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await holderOf('192.0.2.101'), node, 'kept after the agent came back');
    // An agent that stays down: the IP moves once the grace is over.
    const t0 = Date.now();
    await agent.close();
    await waitPolicy('shop', 'db', (x) => {
      const a = x.status?.assignments?.find((y) => y.egressIP === '192.0.2.101');
      return a !== undefined && a.node !== node;
    });
    console.log(`      agent on ${node} refusing connections → 192.0.2.101 reassigned after ${Date.now() - t0} ms (grace 3 s)`);
    await agent.start();
  });

  it('a cordoned node drains: its IP is released first, then held elsewhere', async () => {
    const before = await getPolicy(kc, 'shop', 'db');
    const a = before.status!.assignments!.find((x) => x.egressIP === '192.0.2.101')!;
    await kc.makeApiClient(CoreV1Api).patchNode(
      { name: a.node, body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const after = await waitPolicy('shop', 'db', (x) => {
      const y = x.status?.assignments?.find((z) => z.egressIP === '192.0.2.101');
      return y !== undefined && y.node !== a.node;
    });
    assert.ok(after.status!.assignments!.every((x) => x.node !== a.node));
    await waitEvent('shop', 'db', 'EgressIPReleased');
  });

  it('a NotReady node whose agent is gone loses its IP at once; with no gateway left the policy says so, and recovers', async () => {
    const before = await getPolicy(kc, 'shop', 'db');
    const a = before.status!.assignments!.find((x) => x.egressIP === '192.0.2.102')!;
    // One node is cordoned (previous test) and db holds IPs on the other three: nowhere to go.
    // The agent goes first (a dead node): probes fail, then the Node turns NotReady. (A NotReady node
    // whose agent still answers releases first instead: assign.test.ts.)
    agents.get(a.node)!.hang();
    const p = await waitPolicy('shop', 'db', (x) => !x.status?.assignments?.some((y) => y.egressIP === '192.0.2.102') &&
      /no healthy gateway node can hold/.test(condition(x, 'Assigned')?.message ?? ''));
    await setNodeStatus(kc, a.node, addressOf(a.node), false);
    assert.equal(condition(p, 'Assigned')?.status, 'False');
    assert.equal(condition(p, 'Assigned')?.reason, 'PartiallyAssigned');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    // Earlier NoGateway Events may exist (e.g. before the first probes answered): wait for this one.
    const ev = await waitEvent('shop', 'db', 'EgressIPNoGateway', /192\.0\.2\.102/);
    assert.match(ev.message ?? '', /stopped answering|NotReady/);
    // Uncordon the drained node: the IP finds a gateway again.
    const cordoned = (await kc.makeApiClient(CoreV1Api).listNode()).items.find((n) => n.spec?.unschedulable)!.metadata!.name!;
    await kc.makeApiClient(CoreV1Api).patchNode(
      { name: cordoned, body: { spec: { unschedulable: false } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const back = await waitPolicy('shop', 'db', (x) => x.status?.assignments?.find((y) => y.egressIP === '192.0.2.102')?.node === cordoned);
    assert.equal(condition(back, 'Ready')?.status, 'True');
    agents.get(a.node)!.resume();
    await setNodeStatus(kc, a.node, addressOf(a.node), true);
  });

  it('two managers: killing the leader with SIGKILL makes the standby lead and continue (prints the time)', async () => {
    const [http2] = await freePorts(1) as [number];
    const standby = spawnManager({ kubeconfig: saKubeconfig, identity: 'manager-b', agentPort, httpPort: http2, dir: dirname(k8s.cluster.logs.apiServer) });
    managers.push(standby);
    await waitFor('standby ready (caches synced)', async () => (await fetch(`http://127.0.0.1:${http2}/readyz`)).status === 200, 60_000, 100);
    assert.equal(await leaseHolder(kc), 'manager-a');
    const metrics = await (await fetch(`http://127.0.0.1:${http2}/metrics`)).text();
    assert.match(metrics, /static_egress_manager_is_leader 0/);

    const t0 = Date.now();
    managers[0]!.child.kill('SIGKILL');
    await waitFor('manager-b to lead', async () => (await leaseHolder(kc)) === 'manager-b', 30_000, 20);
    const leadMs = Date.now() - t0;
    await createPolicy(kc, 'shop', 'after-takeover', { egressIPs: ['192.0.2.111'], podSelector: { matchLabels: { app: 'batch' } } });
    await waitPolicy('shop', 'after-takeover', (x) => x.status?.assignments?.length === 1);
    const workMs = Date.now() - t0;
    console.log(`      takeover: leader killed → standby holds the Lease after ${leadMs} ms; new policy assigned after ${workMs} ms`);
    assert.ok(workMs < 30_000);
    const m2 = await (await fetch(`http://127.0.0.1:${http2}/metrics`)).text();
    assert.match(m2, /static_egress_manager_is_leader 1/);
    assert.match(m2, /static_egress_manager_assigned_ips \d/);
    // Earlier assignments survived the takeover unchanged.
    const db = await getPolicy(kc, 'shop', 'db');
    assert.equal(db.status?.assignments?.length, 3);
  });
});
