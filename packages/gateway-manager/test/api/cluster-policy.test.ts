// ClusterStaticEgressIP (issue 9) against a real kube-apiserver and a real manager running with the
// shipped RBAC: one cluster policy selecting pods of two namespaces is assigned and gets the same
// status shape as a StaticEgressIP (printer columns, Events); a namespaced policy of a pod's own
// namespace takes precedence on the same destination; a namespace admin cannot create one.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CSEIP_KIND, CSEIP_PLURAL, GROUP, POOL_PLURAL, VERSION, type ClusterStaticEgressIP } from '@static-egress/crds';
import { stringify } from 'yaml';
import { freePorts, REPO_ROOT, useCluster } from '../../../../e2e/src/k8s/index.js';
import {
  FakeAgent, condition, createNode, createPolicy, createRunningPod, getPolicy, installManagerRBAC, leaseHolder, spawnManager, stopManager, waitFor,
  type ManagerProcess,
} from './support.js';

const NODES = ['gw-1', 'gw-2'];
const addressOf = (node: string) => `127.0.0.${NODES.indexOf(node) + 12}`;
const CSEIP = `${CSEIP_PLURAL}.${GROUP}`;

describe('ClusterStaticEgressIP against a real apiserver and manager', function () {
  this.timeout(180_000);
  const k8s = useCluster();
  let kc: KubeConfig;
  let manager: ManagerProcess | undefined;
  const agents: FakeAgent[] = [];
  let failed = false;

  const getCluster = async (name: string) => (await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({
    group: GROUP, version: VERSION, plural: CSEIP_PLURAL, name,
  })) as ClusterStaticEgressIP;
  const waitCluster = (name: string, ok: (p: ClusterStaticEgressIP) => boolean) =>
    waitFor(`ClusterStaticEgressIP ${name} status`, async () => {
      const p = await getCluster(name);
      return ok(p) ? p : undefined;
    });

  before(async function () {
    this.timeout(240_000);
    const c = k8s.cluster;
    kc = c.kubeConfig();
    await c.applyCRDs();
    const saKubeconfig = await installManagerRBAC(c);
    await c.ensureNamespace('team-a', { egress: 'corp' });
    await c.ensureNamespace('team-b', { egress: 'corp' });
    await c.ensureNamespace('other', {});
    const [agentPort, httpPort] = await freePorts(2) as [number, number];
    for (const n of NODES) {
      const agent = new FakeAgent(addressOf(n), agentPort);
      await agent.start();
      agents.push(agent);
      await createNode(kc, n, addressOf(n));
    }
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'corp' },
        spec: { cidrs: [{ cidr: '192.0.2.96/27' }], namespaceSelector: { matchLabels: { egress: 'corp' } } } },
    });
    for (const ns of ['team-a', 'team-b', 'other']) await createRunningPod(kc, ns, 'web-1', { app: 'web' }, 'gw-1', `203.0.113.${ns === 'team-a' ? 41 : ns === 'team-b' ? 42 : 43}`);
    manager = spawnManager({ kubeconfig: saKubeconfig, identity: 'manager-c', agentPort, httpPort, dir: dirname(c.logs.apiServer) });
    await waitFor('manager-c to lead', async () => (await leaseHolder(kc)) === 'manager-c', 60_000, 100);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    await stopManager(manager);
    await Promise.all(agents.map((a) => a.close()));
    if (failed && manager) console.log(`--- manager log (tail) ---\n${manager.log().split('\n').slice(-60).join('\n')}`);
  });

  it('assigns a cluster policy selecting pods of two namespaces and writes its status, columns and Events', async () => {
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: GROUP, version: VERSION, plural: CSEIP_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: CSEIP_KIND, metadata: { name: 'corp' },
        spec: { egressIPs: ['192.0.2.100', '192.0.2.101'], namespaceSelector: { matchLabels: { egress: 'corp' } }, podSelector: { matchLabels: { app: 'web' } } } },
    });
    const p = await waitCluster('corp', (x) => x.status?.assignments?.length === 2 && condition(x, 'Ready')?.status === 'True');
    assert.equal(p.status?.observedGeneration, p.metadata?.generation);
    assert.deepEqual(new Set(p.status?.assignments?.map((a) => a.node)), new Set(NODES), 'one IP per gateway');
    assert.deepEqual([...(p.status?.nodes ?? [])].sort(), NODES);
    assert.equal(condition(p, 'Conflict')?.status, 'False');

    const get = await k8s.cluster.kubectl(['get', 'cseip', 'corp']);
    const [header, row] = get.stdout.trim().split('\n') as [string, string];
    assert.deepEqual(header.split(/\s+/), ['NAME', 'EGRESSIPS', 'NODES', 'READY', 'PROGRAMMED', 'AGE']);
    assert.match(row, /^corp\s+\["192\.0\.2\.100","192\.0\.2\.101"\]\s+\["gw-\d","gw-\d"\]\s+True\s/);

    // Events about a cluster-scoped object go to `default`, naming its kind and no namespace.
    const events = await waitFor('EgressIPAssigned Event on the ClusterStaticEgressIP', async () => {
      const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=corp' });
      const found = list.items.filter((e) => e.reason === 'EgressIPAssigned');
      return found.length === 2 ? found : undefined;
    });
    for (const e of events) {
      assert.equal(e.involvedObject.kind, CSEIP_KIND);
      assert.equal(e.involvedObject.namespace, undefined);
      assert.equal(e.involvedObject.uid, p.metadata?.uid);
    }
  });

  it('a StaticEgressIP of the pod\'s own namespace takes precedence on the same destination, even though younger', async () => {
    await createPolicy(kc, 'team-a', 'mine', { egressIPs: ['192.0.2.110'], podSelector: { matchLabels: { app: 'web' } } });
    const mine = await waitFor('team-a/mine Ready', async () => {
      const x = await getPolicy(kc, 'team-a', 'mine');
      return condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    assert.equal(condition(mine, 'Conflict')?.status, 'False', 'the namespaced policy loses nothing');
    const corp = await waitCluster('corp', (x) => condition(x, 'Conflict')?.status === 'True');
    const conflict = condition(corp, 'Conflict')!;
    assert.equal(conflict.reason, 'PodConflict');
    assert.match(conflict.message, /team-a\/web-1/);
    assert.match(conflict.message, /team-a\/mine/);
    assert.doesNotMatch(conflict.message, /team-b\/web-1/, 'team-b keeps the cluster policy');
    assert.equal(condition(corp, 'Ready')?.status, 'True', 'it still serves team-b');
    assert.equal(corp.status?.assignments?.length, 2);
  });

  it('a namespace admin (admin + the shipped tenant roles) cannot create, change or delete a ClusterStaticEgressIP', async () => {
    const c = k8s.cluster;
    await c.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/tenant.yaml')]);
    const binding = (role: string) => stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
      metadata: { name: `tenant-${role}`, namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: 'team-a' }] });
    await c.kubectl(['apply', '-f', '-'], { input: ['admin', 'static-egress-edit', 'static-egress-view'].map(binding).join('---\n') });
    const tenant = await c.serviceAccountKubeconfig('team-a', 'tenant');
    const own = stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'StaticEgressIP', metadata: { name: 'tenant-own', namespace: 'team-a' }, spec: { egressIPs: ['192.0.2.111'] } });
    await c.kubectl(['create', '-f', '-'], { input: own, kubeconfig: tenant });

    const cluster = stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: CSEIP_KIND, metadata: { name: 'tenant-grab' },
      spec: { egressIPs: ['192.0.2.112'], namespaceSelector: {} } });
    const attempts: string[][] = [
      ['create', '-f', '-'],
      ['patch', CSEIP, 'corp', '--type=merge', '-p', JSON.stringify({ spec: { namespaceSelector: {} } })],
      ['patch', CSEIP, 'corp', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { observedGeneration: 99 } })],
      ['delete', CSEIP, 'corp'],
    ];
    for (const args of attempts) {
      const r = await c.kubectl(args, { kubeconfig: tenant, reject: false, ...(args[0] === 'create' ? { input: cluster } : {}) });
      assert.notEqual(r.exitCode, 0, `${args.join(' ')} succeeded`);
      assert.match(r.stderr, /forbidden/i, args.join(' '));
    }
    // It may read them (static-egress-view, through a namespace RoleBinding: no).
    const list = await c.kubectl(['get', CSEIP, '-o', 'name'], { kubeconfig: tenant, reject: false });
    assert.match(list.stderr, /forbidden/i, 'a namespace RoleBinding grants nothing cluster-scoped');
    assert.equal((await getCluster('corp')).spec.namespaceSelector.matchLabels?.egress, 'corp', 'unchanged');
    await assert.rejects(getCluster('tenant-grab'), 'never created');
  });
});
