// Cloud mode against a real apiserver and a real EC2 API (moto): the manager, as its own process with
// the shipped RBAC and --cloud-provider aws, places egress IPs as secondary private IPs of the gateways'
// primary ENIs. Every check of placement reads moto's state too, and an address on two ENIs fails.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POOL_PLURAL, SEIP_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';
import { REPO_ROOT, freePorts, useCluster } from '../../../../e2e/src/k8s/index.js';
import { EGRESS_IPCONFIG_ANNOTATION } from '../../src/cloud/ipconfig.js';
import { Moto } from './moto.js';
import {
  FakeAgent, condition, createNode, createPolicy, getPolicy, installManagerRBAC, leaseHolder, policyEvents, spawnManager, stopManager, waitFor,
  type ManagerProcess,
} from './support.js';

// zone a: 192.0.2.0/25 (gw-1, gw-2, m5.large: 10 addresses per ENI); zone b: 192.0.2.128/26 (gw-3,
// t3.micro: 2, so room for one egress IP). 192.0.2.192/26 lies in no subnet.
const NODES = [
  { node: 'gw-1', zone: 'us-east-1a', address: '192.0.2.11', type: 'm5.large', agent: '127.0.0.2' },
  { node: 'gw-2', zone: 'us-east-1a', address: '192.0.2.12', type: 'm5.large', agent: '127.0.0.3' },
  { node: 'gw-3', zone: 'us-east-1b', address: '192.0.2.140', type: 't3.micro', agent: '127.0.0.4' },
];

describe('gateway-manager cloud mode (AWS) against a real apiserver and moto', function () {
  this.timeout(180_000);
  const k8s = useCluster();
  let kc: KubeConfig;
  let moto: Moto;
  let instances: Map<string, string>;
  const agents = new Map<string, FakeAgent>();
  let manager: ManagerProcess | undefined;
  let metricsURL = '';
  let failed = false;

  before(async function () {
    this.timeout(240_000);
    const c = k8s.cluster;
    kc = c.kubeConfig();
    moto = await Moto.start(dirname(c.logs.apiServer));
    instances = await moto.vpc('192.0.2.0/24', { 'us-east-1a': '192.0.2.0/25', 'us-east-1b': '192.0.2.128/26' }, NODES);
    await c.applyCRDs();
    const sa = await installManagerRBAC(c);
    await c.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/manager-cloud.yaml')]);
    await c.ensureNamespace('shop', { egress: 'allowed' });
    const [agentPort, httpPort] = (await freePorts(2)) as [number, number];
    metricsURL = `http://127.0.0.1:${httpPort}/metrics`;
    const core = kc.makeApiClient(CoreV1Api);
    for (const n of NODES) {
      const agent = new FakeAgent(n.agent, agentPort);
      await agent.start();
      agents.set(n.node, agent);
      await createNode(kc, n.node, n.agent);
      const providerID = `aws:///${n.zone}/${instances.get(n.node)}`;
      await core.patchNode({ name: n.node, body: { spec: { providerID } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'vpc' },
        spec: { cidrs: [{ cidr: '192.0.2.96/27' }, { cidr: '192.0.2.160/27' }, { cidr: '192.0.2.224/27' }], maxIPsPerNode: 8 },
      },
    });
    manager = spawnManager({
      kubeconfig: sa, identity: 'manager-cloud', agentPort, httpPort, dir: dirname(c.logs.apiServer),
      extra: ['--cloud-provider', 'aws', '--aws-endpoint', moto.endpoint, '--cloud-resync', '2s'],
      env: moto.env(),
    });
    await waitFor('the manager to lead', async () => (await leaseHolder(kc)) === 'manager-cloud', 60_000, 100);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    await stopManager(manager);
    await Promise.all([...agents.values()].map((a) => a.close()));
    if (failed && manager) console.log(`--- manager log (tail) ---\n${manager.log().split('\n').slice(-80).join('\n')}`);
    await moto?.stop();
  });

  /** The instance of the one node whose ENI holds ip in moto (undefined: none); two holders fail the test. */
  async function cloudHolder(ip: string): Promise<string | undefined> {
    const h = await moto.holders(ip);
    assert.ok(h.length <= 1, `${ip} is on ${h.length} ENIs at once: ${h.join(', ')}`);
    return h[0] === undefined ? undefined : [...instances].find(([, id]) => id === h[0])?.[0] ?? h[0];
  }

  async function waitPolicy(name: string, ok: (p: StaticEgressIP) => boolean, ms = 30_000): Promise<StaticEgressIP> {
    return waitFor(`shop/${name} status`, async () => {
      const p = await getPolicy(kc, 'shop', name);
      return ok(p) ? p : undefined;
    }, ms, 100);
  }

  /** EC2 calls the manager made so far, by action (its metric). */
  async function ec2Calls(): Promise<Map<string, number>> {
    const text = await (await fetch(metricsURL)).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^static_egress_manager_cloud_api_calls_total\{action="(\w+)",result="success"\} (\d+)/gm)) out.set(m[1]!, Number(m[2]));
    return out;
  }

  const holderIn = (p: StaticEgressIP, ip: string) => p.status?.assignments?.find((a) => a.egressIP === ip)?.node;

  it('publishes each node\'s interface, subnet and capacity in the OpenShift shape', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const want = { 'gw-1': ['192.0.2.0/25', 9], 'gw-2': ['192.0.2.0/25', 9], 'gw-3': ['192.0.2.128/26', 1] } as const;
    for (const [node, [subnet, capacity]] of Object.entries(want)) {
      const ann = await waitFor(`${node}'s ${EGRESS_IPCONFIG_ANNOTATION}`, async () => (await core.readNode({ name: node })).metadata?.annotations?.[EGRESS_IPCONFIG_ANNOTATION]);
      const [cfg] = JSON.parse(ann) as { interface: string; ifaddr: { ipv4: string }; capacity: { ipv4: number } }[];
      assert.match(cfg!.interface, /^eni-/);
      assert.deepEqual([cfg!.ifaddr.ipv4, cfg!.capacity.ipv4], [subnet, capacity], node);
    }
  });

  it('assigns: the IP becomes a secondary address of its node\'s ENI, in its subnet, before status says Ready', async () => {
    await createPolicy(kc, 'shop', 'db', { egressIPs: ['192.0.2.100', '192.0.2.170'] });
    const p = await waitPolicy('db', (x) => x.status?.assignments?.length === 2 && condition(x, 'Ready')?.status === 'True');
    const a = holderIn(p, '192.0.2.100')!;
    assert.ok(['gw-1', 'gw-2'].includes(a), `192.0.2.100 in zone a, on ${a}`);
    assert.equal(holderIn(p, '192.0.2.170'), 'gw-3', '192.0.2.170 only fits zone b');
    assert.equal(await cloudHolder('192.0.2.100'), a);
    assert.equal(await cloudHolder('192.0.2.170'), 'gw-3');
  });

  it('capacity: a second IP in a full subnet is NoCapacity (and nothing is assigned in the cloud)', async () => {
    await createPolicy(kc, 'shop', 'web', { egressIPs: ['192.0.2.171'] });
    const p = await waitPolicy('web', (x) => condition(x, 'Assigned')?.reason === 'NoCapacity');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(await cloudHolder('192.0.2.171'), undefined);
    await waitFor('EgressIPNoCapacity Event', async () => (await policyEvents(kc, 'shop', 'web')).find((e) => e.reason === 'EgressIPNoCapacity'));
  });

  it('an IP outside every node subnet is NoSubnet', async () => {
    await createPolicy(kc, 'shop', 'far', { egressIPs: ['192.0.2.230'] });
    await waitPolicy('far', (x) => condition(x, 'Assigned')?.reason === 'NoSubnet');
    assert.equal(await cloudHolder('192.0.2.230'), undefined);
  });

  it('moves: a lost gateway\'s IP goes to the other node of its subnet, in the cloud first; never on two ENIs', async () => {
    const before = holderIn(await getPolicy(kc, 'shop', 'db'), '192.0.2.100')!;
    const other = before === 'gw-1' ? 'gw-2' : 'gw-1';
    const calls0 = await ec2Calls();
    const t0 = Date.now();
    agents.get(before)!.hang();
    try {
      const p = await waitPolicy('db', (x) => holderIn(x, '192.0.2.100') === other, 30_000);
      const calls1 = await ec2Calls();
      const delta = (a: string) => (calls1.get(a) ?? 0) - (calls0.get(a) ?? 0);
      console.log(`      failover seen in status after ${Date.now() - t0} ms; EC2 calls: Unassign ${delta('UnassignPrivateIpAddresses')}, Assign ${delta('AssignPrivateIpAddresses')}, DescribeInstances ${delta('DescribeInstances')}`);
      assert.deepEqual([delta('UnassignPrivateIpAddresses'), delta('AssignPrivateIpAddresses')], [1, 1], 'one move: one unassign, one assign');
      assert.equal(await cloudHolder('192.0.2.100'), other);
      assert.equal(condition(p, 'Ready')?.status, 'True');
      assert.equal(await cloudHolder('192.0.2.170'), 'gw-3', 'the other IP did not move');
    } finally {
      agents.get(before)!.resume();
    }
  });

  it('releases: a deleted policy\'s IPs leave the ENIs, and the freed capacity takes the waiting IP', async () => {
    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'shop', plural: SEIP_PLURAL, name: 'db' });
    await waitFor('192.0.2.100 off every ENI', async () => (await cloudHolder('192.0.2.100')) === undefined, 30_000, 200);
    await waitFor('192.0.2.170 off every ENI', async () => (await cloudHolder('192.0.2.170')) === undefined, 30_000, 200);
    const p = await waitPolicy('web', (x) => holderIn(x, '192.0.2.171') === 'gw-3');
    assert.equal(condition(p, 'Ready')?.status, 'True');
    assert.equal(await cloudHolder('192.0.2.171'), 'gw-3');
  });
});
