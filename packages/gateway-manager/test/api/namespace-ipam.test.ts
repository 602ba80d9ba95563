// Namespace opt-in IPAM and zones (issue 9) against a real kube-apiserver (RBAC on) and a real manager
// process with the shipped RBAC: a namespace annotated with a zoned pool gets one egress IP per zone
// (never a network, reserved, node or used address), held in its zone; the allocation survives a
// manager restart unchanged; named IPs are honoured; a bad annotation gets a Warning and changes
// nothing; removing the annotation releases.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POOL_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';
import { freePorts, useCluster } from '../../../../e2e/src/k8s/index.js';
import {
  FakeAgent, createNode, createPolicy, getPolicy, installManagerRBAC, leaseHolder, spawnManager, stopManager, waitFor, type ManagerProcess,
} from './support.js';

const ZONE = 'topology.kubernetes.io/zone';
const POOL = 'staticegress.io/pool';
const IPS = 'staticegress.io/egress-ips';
const ALLOCATED = 'staticegress.io/allocated-ips';
const NODES: [string, string][] = [['gw-a1', 'a'], ['gw-a2', 'a'], ['gw-b1', 'b']];
const addressOf = (node: string) => `127.0.0.${NODES.findIndex(([n]) => n === node) + 12}`;

describe('namespace opt-in IPAM with zones (real apiserver, real manager)', function () {
  this.timeout(180_000);
  const k8s = useCluster();
  let kc: KubeConfig;
  let core: CoreV1Api;
  let saKubeconfig: string;
  let agentPort: number;
  const agents: FakeAgent[] = [];
  const managers: ManagerProcess[] = [];
  let failed = false;

  async function startManager(identity: string): Promise<void> {
    const [http] = await freePorts(1) as [number];
    managers.push(spawnManager({ kubeconfig: saKubeconfig, identity, agentPort, httpPort: http, dir: dirname(k8s.cluster.logs.apiServer) }));
    await waitFor(`${identity} to lead`, async () => (await leaseHolder(kc)) === identity, 60_000, 100);
  }

  before(async function () {
    this.timeout(240_000);
    const c = k8s.cluster;
    kc = c.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await c.applyCRDs();
    saKubeconfig = await installManagerRBAC(c);
    [agentPort] = await freePorts(1) as [number];
    for (const [n, zone] of NODES) {
      const agent = new FakeAgent(addressOf(n), agentPort);
      await agent.start();
      agents.push(agent);
      // gw-a1 also has an address inside zone a's cidr: never handed out
      await createNode(kc, n, addressOf(n), { labels: { [ZONE]: zone }, ...(n === 'gw-a1' ? { extraAddress: '192.0.2.98' } : {}) });
    }
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'zoned' },
        spec: {
          cidrs: [{ cidr: '192.0.2.96/28', zone: 'a', reserved: ['192.0.2.97'] }, { cidr: '192.0.2.112/28', zone: 'b' }],
          namespaceSelector: { matchLabels: { egress: 'allowed' } },
          nodeSelector: { matchExpressions: [{ key: 'staticegress.io/gateway', operator: 'Exists' }] },
        },
      },
    });
    // a policy written by hand already uses .99 (zone a) and .113 (zone b)
    await c.ensureNamespace('legacy', { egress: 'allowed' });
    await createPolicy(kc, 'legacy', 'db', { egressIPs: ['192.0.2.99', '192.0.2.113'] });
    await startManager('manager-a');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all(managers.map((m) => stopManager(m)));
    await Promise.all(agents.map((a) => a.close()));
    if (failed) for (const m of managers) console.log(`--- ${m.identity} log (tail) ---\n${m.log().split('\n').slice(-60).join('\n')}`);
  });

  async function optIn(name: string, annotations: Record<string, string>, labels: Record<string, string> = { egress: 'allowed' }): Promise<void> {
    await core.createNamespace({ body: { metadata: { name, labels, annotations } } });
  }

  async function annotate(name: string, annotations: Record<string, string | null>): Promise<void> {
    await core.patchNamespace({ name, body: { metadata: { annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  async function managed(ns: string): Promise<StaticEgressIP | undefined> {
    try {
      return await getPolicy(kc, ns, 'namespace-egress');
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async function namespaceEvent(ns: string, reason: string, message?: RegExp): Promise<CoreV1Event> {
    return waitFor(`${reason} Event on Namespace ${ns}`, async () => {
      const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Namespace' });
      return list.items.find((e) => e.reason === reason && e.involvedObject.name === ns && (!message || message.test(e.message ?? '')));
    }, 30_000, 100);
  }

  const allocatedOf = async (ns: string) => (await core.readNamespace({ name: ns })).metadata?.annotations?.[ALLOCATED];
  const zoneOf = (node: string) => NODES.find(([n]) => n === node)?.[1];

  it('allocates one IP per zone from the zone\'s cidr, skipping network, reserved, node and used addresses, held in its zone', async () => {
    await optIn('shop', { [POOL]: 'zoned' });
    const p = await waitFor('shop/namespace-egress assigned', async () => {
      const x = await managed('shop');
      return x?.status?.assignments?.length === 2 ? x : undefined;
    });
    // zone a: .96 network, .97 reserved, .98 gw-a1's address, .99 legacy's → .100; zone b: .112 network, .113 legacy's → .114
    assert.deepEqual(p.spec.egressIPs, ['192.0.2.100', '192.0.2.114']);
    assert.equal(p.metadata?.labels?.['app.kubernetes.io/managed-by'], 'static-egress');
    assert.equal(p.metadata?.ownerReferences, undefined);
    assert.equal(p.spec.podSelector, undefined, 'every pod of the namespace');
    for (const a of p.status!.assignments!) assert.equal(zoneOf(a.node), a.egressIP === '192.0.2.100' ? 'a' : 'b', `${a.egressIP} on ${a.node}`);
    assert.equal(await waitFor('allocated-ips written back', async () => await allocatedOf('shop')), '192.0.2.100,192.0.2.114');
    const ev = await namespaceEvent('shop', 'EgressIPNamespaceAllocated');
    assert.equal(ev.type, 'Normal');
    assert.match(ev.message ?? '', /192\.0\.2\.100, 192\.0\.2\.114 from pool zoned/);
  });

  it('survives a manager restart unchanged', async () => {
    const before = (await managed('shop'))!;
    await stopManager(managers[0]);
    await startManager('manager-b');
    // a namespace opting in now proves the new leader has run its passes over shop too
    await optIn('ops', { [POOL]: 'zoned' });
    const ops = await waitFor('ops allocated', async () => (await managed('ops'))?.spec.egressIPs);
    assert.deepEqual(ops, ['192.0.2.101', '192.0.2.115']);
    const after = (await managed('shop'))!;
    assert.deepEqual(after.spec.egressIPs, before.spec.egressIPs);
    assert.equal(after.metadata?.generation, before.metadata?.generation, 'the spec was not rewritten');
    assert.equal(await allocatedOf('shop'), '192.0.2.100,192.0.2.114');
  });

  it('honours the IPs a namespace names (one per zone, in the pool, free)', async () => {
    await optIn('pay', { [POOL]: 'zoned', [IPS]: '192.0.2.120,192.0.2.110' });
    const ips = await waitFor('pay allocated', async () => (await managed('pay'))?.spec.egressIPs);
    assert.deepEqual(ips, ['192.0.2.110', '192.0.2.120']);
    assert.equal(await waitFor('pay allocated-ips', async () => await allocatedOf('pay')), '192.0.2.110,192.0.2.120');
  });

  it('a bad annotation gets a Warning Event on the Namespace and changes nothing', async () => {
    const before = (await managed('pay'))!;
    await annotate('pay', { [IPS]: '192.0.2.110,192.0.2.100' }); // two in zone a, and .100 is shop's
    const ev = await namespaceEvent('pay', 'EgressIPNamespaceInvalid');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message ?? '', /two addresses in zone a|192\.0\.2\.100 is in use/);
    await optIn('stray', { [POOL]: 'nope' });
    await namespaceEvent('stray', 'EgressIPNamespaceInvalid', /no valid EgressIPPool "nope"/);
    await optIn('outsider', { [POOL]: 'zoned' }, { egress: 'denied' });
    await namespaceEvent('outsider', 'EgressIPNamespaceInvalid', /does not admit namespace outsider/);
    const after = (await managed('pay'))!;
    assert.equal(after.metadata?.generation, before.metadata?.generation, 'the spec was not rewritten');
    assert.deepEqual(after.spec.egressIPs, ['192.0.2.110', '192.0.2.120']);
    assert.equal(await allocatedOf('pay'), '192.0.2.110,192.0.2.120');
    assert.equal(await managed('stray'), undefined);
    assert.equal(await managed('outsider'), undefined);
  });

  it('removing the annotation releases: the managed policy and the allocated-ips annotation go', async () => {
    await annotate('shop', { [POOL]: null });
    await waitFor('shop released', async () => (await managed('shop')) === undefined && (await allocatedOf('shop')) === undefined);
    const ev = await namespaceEvent('shop', 'EgressIPNamespaceReleased');
    assert.match(ev.message ?? '', /192\.0\.2\.100, 192\.0\.2\.114/);
    // the released addresses are free again: the next namespace gets them
    await optIn('next', { [POOL]: 'zoned' });
    assert.deepEqual(await waitFor('next allocated', async () => (await managed('next'))?.spec.egressIPs), ['192.0.2.100', '192.0.2.114']);
  });
});
