// The shipped manifests (manifests/, kustomize) against a real kube-apiserver: every object is
// accepted, and the RBAC is the least privilege of DESIGN §9 — checked with `kubectl auth can-i`
// and, for the status/spec split, with real ServiceAccount tokens.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, useCluster, type Cluster } from '../../../../e2e/src/k8s/index.js';

const SYSTEM_NS = 'static-egress-system';
const MANIFESTS = join(REPO_ROOT, 'manifests');
const AGENT = `system:serviceaccount:${SYSTEM_NS}:static-egress-agent`;
const MANAGER = `system:serviceaccount:${SYSTEM_NS}:static-egress-manager`;
const SEIP = 'staticegressips.staticegress.io';
const POOL = 'egressippools.staticegress.io';
const CSEIP = 'clusterstaticegressips.staticegress.io';
/**
 * A namespace admin of team-a: bound there to the built-in admin ClusterRole and to what aggregation
 * adds to it (static-egress-edit + static-egress-view; no controller-manager aggregates here).
 */
const TENANT = 'system:serviceaccount:team-a:tenant-admin';

interface Check {
  who: string;
  verb: string;
  resource: string;
  namespace?: string;
  subresource?: string;
  allowed: boolean;
}

const checks: Check[] = [
  // agent: reads policies, pools, pods, nodes, services, namespaces; writes nothing
  ...['list', 'watch', 'get'].flatMap((verb) => [SEIP, POOL, 'pods', 'nodes', 'services', 'namespaces']
    .map((resource) => ({ who: AGENT, verb, resource, allowed: true }))),
  { who: AGENT, verb: 'patch', resource: SEIP, subresource: 'status', namespace: 'default', allowed: false },
  { who: AGENT, verb: 'update', resource: SEIP, subresource: 'status', namespace: 'default', allowed: false },
  { who: AGENT, verb: 'update', resource: SEIP, namespace: 'default', allowed: false },
  // one Event on its Node (Events of cluster-scoped objects live in default) when its kernel state
  // keeps being damaged (issue 12); nothing else, and not through events.k8s.io
  { who: AGENT, verb: 'create', resource: 'events', namespace: 'default', allowed: true },
  { who: AGENT, verb: 'patch', resource: 'events', namespace: 'default', allowed: false },
  { who: AGENT, verb: 'create', resource: 'events.events.k8s.io', namespace: 'default', allowed: false },
  { who: AGENT, verb: 'create', resource: 'leases.coordination.k8s.io', namespace: SYSTEM_NS, allowed: false },
  { who: AGENT, verb: 'patch', resource: 'nodes', allowed: false },
  { who: AGENT, verb: 'get', resource: 'secrets', namespace: SYSTEM_NS, allowed: false },
  { who: AGENT, verb: 'list', resource: 'endpointslices.discovery.k8s.io', allowed: false },
  // its node's report (StaticEgressNode), which the manager only reads
  { who: AGENT, verb: 'create', resource: 'staticegressnodes.staticegress.io', allowed: true },
  { who: AGENT, verb: 'patch', resource: 'staticegressnodes.staticegress.io', subresource: 'status', allowed: true },
  { who: AGENT, verb: 'delete', resource: 'staticegressnodes.staticegress.io', allowed: false },
  { who: MANAGER, verb: 'watch', resource: 'staticegressnodes.staticegress.io', allowed: true },
  { who: MANAGER, verb: 'patch', resource: 'staticegressnodes.staticegress.io', subresource: 'status', allowed: false },
  // manager: reads the same, writes status only, Events anywhere, its Lease in its namespace only
  ...[SEIP, POOL, 'pods', 'nodes', 'services', 'namespaces']
    .map((resource) => ({ who: MANAGER, verb: 'watch', resource, allowed: true })),
  { who: MANAGER, verb: 'patch', resource: SEIP, subresource: 'status', namespace: 'default', allowed: true },
  { who: MANAGER, verb: 'update', resource: SEIP, subresource: 'status', namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'update', resource: SEIP, namespace: 'default', allowed: false },
  { who: MANAGER, verb: 'patch', resource: SEIP, namespace: 'default', allowed: false },
  { who: MANAGER, verb: 'delete', resource: SEIP, namespace: 'default', allowed: false },
  // namespace opt-in IPAM (issue 9): it creates StaticEgressIPs (create cannot be limited by name),
  // changes and deletes only namespace-egress, and patches Namespaces (the allocated-ips annotation)
  { who: MANAGER, verb: 'create', resource: SEIP, namespace: 'default', allowed: true },
  { who: MANAGER, verb: 'patch', resource: `${SEIP}/namespace-egress`, namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'delete', resource: `${SEIP}/namespace-egress`, namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'patch', resource: `${SEIP}/web`, namespace: 'team-a', allowed: false },
  { who: MANAGER, verb: 'patch', resource: 'namespaces', allowed: true },
  { who: MANAGER, verb: 'delete', resource: 'namespaces', allowed: false },
  { who: MANAGER, verb: 'patch', resource: POOL, allowed: false },
  { who: MANAGER, verb: 'patch', resource: POOL, subresource: 'status', allowed: true },
  { who: MANAGER, verb: 'delete', resource: POOL, allowed: false },
  { who: AGENT, verb: 'patch', resource: POOL, subresource: 'status', allowed: false },
  { who: MANAGER, verb: 'create', resource: 'events', namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'patch', resource: 'events', namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'create', resource: 'events.events.k8s.io', namespace: 'team-a', allowed: true },
  { who: MANAGER, verb: 'create', resource: 'leases.coordination.k8s.io', namespace: SYSTEM_NS, allowed: true },
  { who: MANAGER, verb: 'update', resource: 'leases.coordination.k8s.io', namespace: SYSTEM_NS, allowed: true },
  { who: MANAGER, verb: 'get', resource: 'leases.coordination.k8s.io', namespace: SYSTEM_NS, allowed: true },
  { who: MANAGER, verb: 'delete', resource: 'leases.coordination.k8s.io', namespace: SYSTEM_NS, allowed: false },
  { who: MANAGER, verb: 'create', resource: 'leases.coordination.k8s.io', namespace: 'default', allowed: false },
  { who: MANAGER, verb: 'create', resource: 'leases.coordination.k8s.io', namespace: 'kube-system', allowed: false },
  { who: MANAGER, verb: 'patch', resource: 'nodes', allowed: false },
  { who: MANAGER, verb: 'patch', resource: 'pods', namespace: 'default', allowed: false },
  { who: MANAGER, verb: 'get', resource: 'secrets', namespace: SYSTEM_NS, allowed: false },
  // ClusterStaticEgressIPs (issue 9): both daemons read them, the manager writes their status only
  ...['list', 'watch', 'get'].flatMap((verb) => [AGENT, MANAGER].map((who) => ({ who, verb, resource: CSEIP, allowed: true }))),
  { who: MANAGER, verb: 'patch', resource: CSEIP, subresource: 'status', allowed: true },
  { who: MANAGER, verb: 'patch', resource: CSEIP, allowed: false },
  { who: MANAGER, verb: 'create', resource: CSEIP, allowed: false },
  { who: AGENT, verb: 'patch', resource: CSEIP, subresource: 'status', allowed: false },
  { who: AGENT, verb: 'create', resource: CSEIP, allowed: false },
  // a namespace admin edits its StaticEgressIPs, never a ClusterStaticEgressIP (nor through aggregation)
  { who: TENANT, verb: 'create', resource: SEIP, namespace: 'team-a', allowed: true },
  { who: TENANT, verb: 'create', resource: CSEIP, allowed: false },
  { who: TENANT, verb: 'create', resource: CSEIP, namespace: 'team-a', allowed: false },
  { who: TENANT, verb: 'patch', resource: CSEIP, allowed: false },
  { who: TENANT, verb: 'delete', resource: CSEIP, allowed: false },
  { who: TENANT, verb: 'patch', resource: CSEIP, subresource: 'status', allowed: false },
];

function describeCheck(c: Check): string {
  const sa = c.who.split(':').pop();
  const sub = c.subresource ? `/${c.subresource}` : '';
  return `${sa} ${c.allowed ? 'can' : 'cannot'} ${c.verb} ${c.resource}${sub}${c.namespace ? ` in ${c.namespace}` : ''}`;
}

async function canI(cluster: Cluster, c: Check): Promise<boolean> {
  const ns = c.namespace ? ['-n', c.namespace] : ['--all-namespaces'];
  const [, , saNs] = c.who.split(':');
  const r = await cluster.kubectl(['auth', 'can-i', c.verb, c.resource, ...ns,
    ...(c.subresource ? [`--subresource=${c.subresource}`] : []),
    `--as=${c.who}`, '--as-group=system:serviceaccounts', `--as-group=system:serviceaccounts:${saNs}`], { reject: false });
  if (r.stdout.trim() !== 'yes' && r.stdout.trim() !== 'no') throw new Error(`kubectl auth can-i: ${r.stdout} ${r.stderr}`);
  return r.stdout.trim() === 'yes';
}

describe('manifests', () => {
  it('manifests/crds are identical to packages/crds/schema (node scripts/sync-manifests.mjs)', () => {
    const schemaDir = join(REPO_ROOT, 'packages/crds/schema');
    const yamls = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(yamls(join(MANIFESTS, 'crds')), yamls(schemaDir));
    for (const f of yamls(schemaDir)) {
      assert.equal(readFileSync(join(MANIFESTS, 'crds', f), 'utf8'), readFileSync(join(schemaDir, f), 'utf8'),
        `manifests/crds/${f} is stale: run node scripts/sync-manifests.mjs`);
    }
  });

  describe('against kube-apiserver', () => {
    const k8s = useCluster();
    let rendered: Record<string, unknown>[] = [];

    before(async () => {
      const out = await k8s.cluster.kubectl(['kustomize', MANIFESTS]);
      rendered = parseAllDocuments(out.stdout).map((d) => d.toJSON() as Record<string, unknown>);
    });

    it('kubectl apply --dry-run=server -k manifests/ accepts every object', async () => {
      const c = k8s.cluster;
      // Namespaced objects can only be dry-run into a namespace that exists.
      await c.kubectl(['apply', '-f', join(MANIFESTS, 'namespace.yaml')]);
      const r = await c.kubectl(['apply', '--dry-run=server', '-k', MANIFESTS]);
      const lines = r.stdout.split('\n').filter(Boolean);
      assert.equal(lines.length, rendered.length, r.stdout);
      for (const l of lines) assert.match(l, /\(server dry run\)$/);
    });

    it('applies for real, establishes the CRDs, and re-applying changes nothing', async () => {
      const c = k8s.cluster;
      await c.kubectl(['apply', '-k', MANIFESTS]);
      await c.kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${SEIP}`, `crd/${POOL}`]);
      const versions = async (): Promise<string> => (await c.kubectl(['get', '-k', MANIFESTS, '-o',
        'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}'])).stdout;
      const first = await versions();
      assert.equal(first.split('\n').length, rendered.length);
      // kubectl still prints "configured" for the PodDisruptionBudget (its selector is patchStrategy
      // replace, so client-side apply always sends it), but nothing may actually change.
      await c.kubectl(['apply', '-k', MANIFESTS]);
      assert.equal(await versions(), first);
    });

    it('the manager\'s Lease requests are served at the leader-election priority level, its other requests are not (issue 16 §4)', async () => {
      const c = k8s.cluster;
      const uid = async (kind: string, name: string): Promise<string> =>
        (await c.kubectl(['get', kind, name, '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
      const leaderElection = await uid('prioritylevelconfiguration', 'leader-election');
      // the priority level the apiserver put a request in (response header; kubectl -v=8 prints it)
      const levelOf = async (args: string[]): Promise<string> => {
        const r = await c.kubectl([...args, `--as=${MANAGER}`, '--as-group=system:serviceaccounts', `--as-group=system:serviceaccounts:${SYSTEM_NS}`, '-v=8'], { reject: false });
        const m = /X-Kubernetes-Pf-Prioritylevel-Uid: ([\w-]+)/i.exec(r.stderr);
        assert.ok(m, `no priority level header in: ${r.stderr.slice(-500)}`);
        return m[1]!;
      };
      assert.equal(await levelOf(['get', 'lease', 'static-egress-manager', '-n', SYSTEM_NS]), leaderElection);
      assert.notEqual(await levelOf(['get', 'staticegressips', '-n', SYSTEM_NS]), leaderElection);
    });

    it('the pod templates pass pod admission (PodSecurity, ServiceAccount, priority class)', async () => {
      const c = k8s.cluster;
      for (const kind of ['DaemonSet', 'Deployment']) {
        const obj = rendered.find((o) => o.kind === kind) as { spec: { template: { metadata: object; spec: object } } };
        const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...obj.spec.template.metadata, name: `dry-${kind.toLowerCase()}`,
          namespace: SYSTEM_NS }, spec: { ...obj.spec.template.spec, nodeName: 'node-1' } };
        const r = await c.kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'json'], { input: stringify(pod) });
        const admitted = JSON.parse(r.stdout) as { spec: { priority?: number; serviceAccountName?: string } };
        assert.ok((admitted.spec.priority ?? 0) > 1_000_000_000, `${kind}: system priority class resolved`);
      }
    });

    it('the agent runs with NET_ADMIN and NET_RAW only: not privileged, no host PID', () => {
      const ds = rendered.find((o) => o.kind === 'DaemonSet') as { spec: { template: { spec: {
        hostNetwork?: boolean; hostPID?: boolean; tolerations?: { operator?: string; key?: string }[];
        containers: { securityContext: { privileged?: boolean; capabilities: { add?: string[]; drop?: string[] } } }[] } } } };
      const spec = ds.spec.template.spec;
      assert.equal(spec.hostNetwork, true);
      assert.notEqual(spec.hostPID, true);
      assert.ok(spec.tolerations?.some((t) => t.operator === 'Exists' && t.key === undefined), 'tolerates every taint');
      for (const ctr of spec.containers) {
        assert.notEqual(ctr.securityContext.privileged, true);
        assert.deepEqual([...(ctr.securityContext.capabilities.add ?? [])].sort(), ['NET_ADMIN', 'NET_RAW']);
        assert.deepEqual(ctr.securityContext.capabilities.drop, ['ALL']);
      }
    });

    describe('RBAC (kubectl auth can-i)', () => {
      before(async () => {
        await k8s.cluster.ensureNamespace('team-a');
        const binding = (role: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `tenant-${role}`, namespace: 'team-a' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: 'tenant-admin', namespace: 'team-a' }] });
        const docs = ['admin', 'static-egress-edit', 'static-egress-view'].map((r) => stringify(binding(r)));
        await k8s.cluster.kubectl(['apply', '-f', '-'], { input: docs.join('---\n') });
      });

      it('no role that aggregates into edit or admin grants a write on ClusterStaticEgressIPs', () => {
        const roles = rendered.filter((o) => o.kind === 'ClusterRole') as { metadata: { name: string; labels?: Record<string, string> };
          rules: { resources?: string[]; verbs: string[] }[] }[];
        const aggregated = roles.filter((r) => ['edit', 'admin'].some((to) => r.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${to}`] === 'true'));
        assert.ok(aggregated.some((r) => r.metadata.name === 'static-egress-edit'), 'static-egress-edit aggregates into edit/admin');
        for (const r of aggregated) {
          for (const rule of r.rules) {
            if (!(rule.resources ?? []).some((x) => x.startsWith('clusterstaticegressips') || x === '*')) continue;
            assert.deepEqual([...rule.verbs].sort(), ['get', 'list', 'watch'], `${r.metadata.name} grants ${rule.verbs.join(',')} on ${rule.resources?.join(',')}`);
          }
        }
      });

      for (const check of checks) {
        it(describeCheck(check), async () => {
          assert.equal(await canI(k8s.cluster, check), check.allowed);
        });
      }
    });

    it('with real tokens: the manager patches StaticEgressIP status but not its spec; the agent neither', async () => {
      const c = k8s.cluster;
      await c.ensureNamespace('team-a');
      const seip = { apiVersion: 'staticegress.io/v1alpha1', kind: 'StaticEgressIP', metadata: { name: 'web', namespace: 'team-a' },
        spec: { egressIPs: ['192.0.2.100'] } };
      await c.kubectl(['apply', '-f', '-'], { input: stringify(seip) });
      const manager = await c.serviceAccountKubeconfig(SYSTEM_NS, 'static-egress-manager');
      const agent = await c.serviceAccountKubeconfig(SYSTEM_NS, 'static-egress-agent');
      const patchStatus = ['patch', SEIP, 'web', '-n', 'team-a', '--subresource=status', '--type=merge',
        '-p', JSON.stringify({ status: { observedGeneration: 1 } })];
      const patchSpec = ['patch', SEIP, 'web', '-n', 'team-a', '--type=merge',
        '-p', JSON.stringify({ spec: { egressIPs: ['192.0.2.101'] } })];

      await c.kubectl(patchStatus, { kubeconfig: manager });
      const got = await c.kubectl(['get', SEIP, 'web', '-n', 'team-a', '-o', 'jsonpath={.status.observedGeneration}']);
      assert.equal(got.stdout, '1');
      for (const [kubeconfig, args] of [[manager, patchSpec], [agent, patchStatus], [agent, patchSpec]] as const) {
        const r = await c.kubectl([...args], { kubeconfig, reject: false });
        assert.notEqual(r.exitCode, 0);
        assert.match(r.stderr, /forbidden/i);
      }
      const list = await c.kubectl(['get', SEIP, '-A', '-o', 'name'], { kubeconfig: agent });
      assert.match(list.stdout, /web/);
    });
  });
});
