// `kubectl egress` against a real kube-apiserver: a tenant with only namespace-scoped permissions
// (the shipped static-egress-view ClusterRole bound in its namespace, plus read of pods and services
// there) gets status, explain and trace for its namespace, and clear "forbidden" errors (exit 4) for
// the rest; an admin gets pools and nodes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { CSEIP_PLURAL, GROUP, POOL_PLURAL, SEIP_PLURAL, VERSION } from '@static-egress/crds';
import { stringify } from 'yaml';
import { REPO_ROOT, useCluster, type Cluster } from '../../../../e2e/src/k8s/index.js';
import { runCli } from '../../src/cli/egressctl.js';
import { createNode, createPolicy, createRunningPod } from './support.js';

const NS = 'shop';

async function setAssignments(c: Cluster, name: string, assignments: { egressIP: string; node: string }[]): Promise<void> {
  const held = assignments.length > 0;
  const status = { assignments, conditions: [{ type: 'Ready', status: held ? 'True' : 'False', reason: held ? 'Ready' : 'NoGatewayAvailable', message: 'set by test', lastTransitionTime: new Date().toISOString() }] };
  await c.kubectl(['patch', SEIP_PLURAL, name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

async function cli(kubeconfig: string, argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(['--kubeconfig', kubeconfig, ...argv], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('kubectl egress against a real apiserver', function () {
  this.timeout(120_000);
  const k8s = useCluster();
  let admin: string;
  let tenant: string;

  before(async () => {
    const c = k8s.cluster;
    await c.applyCRDs();
    await c.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/tenant.yaml')]);
    await c.ensureNamespace(NS);
    await c.ensureNamespace('other');
    const reader = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'pod-reader', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: NS }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'egress-view', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'static-egress-view' }, subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: NS }] },
    ];
    await c.kubectl(['apply', '-f', '-'], { input: reader.map((d) => stringify(d)).join('---\n') });
    tenant = await c.serviceAccountKubeconfig(NS, 'tenant');
    admin = c.adminKubeconfigPath;
    const kc = c.kubeConfig();
    await createNode(kc, 'gw-1', '192.0.2.11', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
    await createNode(kc, 'node-1', '192.0.2.12');
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } } });
    await createRunningPod(kc, NS, 'web-1', { app: 'web' }, 'node-1', '203.0.113.34');
    await createRunningPod(kc, NS, 'batch-1', { app: 'batch' }, 'node-1', '203.0.113.35');
    await createPolicy(kc, NS, 'web', { egressIPs: ['192.0.2.100'], podSelector: { matchLabels: { app: 'web' } }, destinationCIDRs: ['198.51.100.0/24'] });
    await setAssignments(c, 'web', [{ egressIP: '192.0.2.100', node: 'gw-1' }]);
    await createPolicy(kc, NS, 'batch', { egressIPs: ['192.0.2.101'], podSelector: { matchLabels: { app: 'batch' } } });
    await setAssignments(c, 'batch', []);
    await createPolicy(kc, 'other', 'secret', { egressIPs: ['192.0.2.102'] });
  });

  it('a tenant sees its namespace: status, -o wide|json|yaml, explain', async () => {
    const s = await cli(tenant, ['status', '-n', NS]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^NAME +EGRESS IP +NODE +READY +REASON\n/);
    assert.match(s.out, /web +192\.0\.2\.100 +gw-1 +True +Ready/);
    assert.match(s.out, /batch +192\.0\.2\.101 +<none> +False +NoGatewayAvailable/);
    assert.match((await cli(tenant, ['status', '-n', NS, '-o', 'wide'])).out, /PROGRAMMED/);
    const json = JSON.parse((await cli(tenant, ['status', '-n', NS, '-o', 'json'])).out) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(json.items.map((i) => i.metadata.name).sort(), ['batch', 'web']);
    assert.match((await cli(tenant, ['status', '-n', NS, '-o', 'yaml'])).out, /^apiVersion: v1\nkind: List/);
    const e = await cli(tenant, ['explain', `${NS}/web`]);
    assert.equal(e.code, 0);
    assert.match(e.out, /held: 192\.0\.2\.100 on gw-1/);
  });

  it('a tenant gets exit 4 with what it may not read, and exit 3 for what does not exist', async () => {
    for (const argv of [['status', '-A'], ['status', '-n', 'other'], ['pools'], ['nodes']]) {
      const r = await cli(tenant, argv);
      assert.equal(r.code, 4, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /forbidden: your account may not read it/);
    }
    const missing = await cli(tenant, ['explain', 'nope', '-n', NS]);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /staticegressip shop\/nope: not found/);
  });

  it('trace works for a tenant: selected pod, unselected destination, no gateway', async () => {
    const ok = await cli(tenant, ['trace', 'web-1', '198.51.100.10', '-n', NS]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /verdict +leaves as 192\.0\.2\.100 via gw-1\n$/);
    const outside = await cli(tenant, ['trace', `${NS}/web-1`, '8.8.8.8']);
    assert.match(outside.out, /verdict +leaves with the node IP: no policy matches 8\.8\.8\.8 \(shop\/web covers 198\.51\.100\.0\/24\)/);
    const dropped = await cli(tenant, ['trace', 'batch-1', '198.51.100.10', '-n', NS]);
    assert.equal(dropped.code, 5);
    assert.match(dropped.out, /verdict +dropped: no gateway holds 192\.0\.2\.101 \(fail-closed\)/);
    assert.equal((await cli(tenant, ['trace', 'ghost', '198.51.100.10', '-n', NS])).code, 3);
  });

  it('an admin sees pools (per zone) and nodes, and trace uses the pools\' authorization', async () => {
    const p = await cli(admin, ['pools']);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /^lan +/m);
    assert.match(p.out, /z1=1/);
    const n = await cli(admin, ['nodes']);
    assert.equal(n.code, 0, n.err);
    assert.match(n.out, /^gw-1 +z1 +Ready +1 +8 +no report|^gw-1 +z1 +Ready +1 +8 +unknown/m);
    const t = await cli(admin, ['trace', 'web-1', '198.51.100.10', '-n', NS]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /leaves as 192\.0\.2\.100 via gw-1/);
  });

  // After the tests above (mocha runs a nested describe last): a ClusterStaticEgressIP selecting shop
  // by a Namespace label, more specific (one destination) than shop's web policy.
  describe('with a ClusterStaticEgressIP (issue 9)', () => {
    before(async () => {
      const c = k8s.cluster;
      await c.kubectl(['label', 'namespace', NS, 'tier=prod', '--overwrite']);
      await c.kubeConfig().makeApiClient(CustomObjectsApi).createClusterCustomObject({ group: GROUP, version: VERSION, plural: CSEIP_PLURAL,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterStaticEgressIP', metadata: { name: 'prod-db' },
          spec: { egressIPs: ['192.0.2.103'], namespaceSelector: { matchLabels: { tier: 'prod' } }, destinationCIDRs: ['198.51.100.20/32'] } } });
      const status = { assignments: [{ egressIP: '192.0.2.103', node: 'gw-1' }], conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'set by test', lastTransitionTime: new Date().toISOString() }] };
      await c.kubectl(['patch', CSEIP_PLURAL, 'prod-db', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    });

    it('an admin\'s trace sees it by the Namespace label and the daemons\' precedence: the more specific destination wins, elsewhere shop\'s policy', async () => {
      const t = await cli(admin, ['trace', 'web-1', '198.51.100.20', '-n', NS]);
      assert.equal(t.code, 0, t.err);
      assert.match(t.out, /^policy +cseip\/prod-db selects it by namespaceSelector tier=prod/m);
      assert.match(t.out, /verdict +leaves as 192\.0\.2\.103 via gw-1\n$/);
      assert.match((await cli(admin, ['trace', 'web-1', '198.51.100.10', '-n', NS])).out, /verdict +leaves as 192\.0\.2\.100 via gw-1\n$/);
      // batch-1 has no policy for 198.51.100.20 but its namespace's (dropped) batch covers 0.0.0.0/0: the /32 cluster policy wins there
      assert.match((await cli(admin, ['trace', 'batch-1', '198.51.100.20', '-n', NS])).out, /verdict +leaves as 192\.0\.2\.103 via gw-1\n$/);
    });

    it('a tenant\'s trace does not crash: it says the cluster policies were not considered, and shop\'s policies decide', async () => {
      const t = await cli(tenant, ['trace', 'web-1', '198.51.100.20', '-n', NS]);
      assert.equal(t.code, 0, t.err);
      assert.match(t.out, /^cluster +ClusterStaticEgressIPs not considered \(list clusterstaticegressips: forbidden/m);
      assert.match(t.out, /verdict +leaves as 192\.0\.2\.100 via gw-1\n$/);
    });

    it('status -A lists it as cseip/NAME; explain cseip/NAME shows it; a tenant gets exit 4 for it', async () => {
      const s = await cli(admin, ['status', '-A']);
      assert.equal(s.code, 0, s.err);
      assert.match(s.out, /^shop +web +192\.0\.2\.100 +gw-1 +True +Ready$/m);
      assert.match(s.out, /^- +cseip\/prod-db +192\.0\.2\.103 +gw-1 +True +Ready\n$/m);
      const e = await cli(admin, ['explain', 'cseip/prod-db']);
      assert.equal(e.code, 0, e.err);
      assert.match(e.out, /^ClusterStaticEgressIP prod-db .*\nselects: namespaces tier=prod, pods \{\} \(all\)\negress IPs: 192\.0\.2\.103\nheld: 192\.0\.2\.103 on gw-1/);
      assert.equal((await cli(admin, ['explain', 'cseip/nope'])).code, 3);
      const denied = await cli(tenant, ['explain', 'cseip/prod-db']);
      assert.equal(denied.code, 4, denied.err);
      assert.match(denied.err, /clusterstaticegressip prod-db: forbidden/);
    });
  });
});
