// The shipped manifests (manifests/, a kustomize base) are what the lab runs with: their Namespace,
// ServiceAccounts and RBAC are applied as they are, the daemons authenticate as the ServiceAccounts
// the DaemonSet and Deployment name, and those containers' args are passed on (minus what only
// makes sense in a pod). When the base is incomplete the lab says so loudly and uses a minimal
// stand-in RBAC so the rest can still be exercised.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SYSTEM_NAMESPACE } from '@static-egress/crds';

interface K8sDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { serviceAccountName?: string; containers?: { name?: string; args?: string[]; command?: string[] }[] } } };
}

export interface ShippedManifests {
  /** Namespace, ServiceAccount, (Cluster)Role(Binding) documents, as YAML. */
  rbacYaml: string;
  agentServiceAccount: string;
  managerServiceAccount: string;
  agentArgs: string[];
  managerArgs: string[];
  warnings: string[];
}

// FlowSchema: the managers' Lease priority (issue 16 §4), so lab benches measure it as shipped
const RBAC_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'FlowSchema']);
/** Flags the lab sets itself for every process. */
const LAB_OWNED_FLAGS = ['--kubeconfig', '--node-name', '--identity', '--http-addr', '--uplink', '--mode', '--cluster-cidrs', '--probe-key-file'];

export async function loadShippedManifests(repoRoot: string,
  kustomize: (dir: string) => Promise<string>): Promise<ShippedManifests> {
  const dir = join(repoRoot, 'manifests');
  const warnings: string[] = [];
  let text = '';
  if (existsSync(join(dir, 'kustomization.yaml'))) {
    try {
      text = await kustomize(dir);
    } catch (err) {
      warnings.push(`kubectl kustomize manifests/ failed: ${(err as Error).message.split('\n')[0]}; reading files directly`);
    }
  }
  if (!text && existsSync(dir)) text = yamlFiles(dir).map((f) => readFileSync(f, 'utf8')).join('\n---\n');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as K8sDoc).filter((d) => d && typeof d === 'object');
  const rbac = docs.filter((d) => RBAC_KINDS.has(d.kind ?? ''));
  const ds = docs.find((d) => d.kind === 'DaemonSet');
  const dep = docs.find((d) => d.kind === 'Deployment');
  const agentServiceAccount = ds?.spec?.template?.spec?.serviceAccountName ?? 'static-egress-agent';
  const managerServiceAccount = dep?.spec?.template?.spec?.serviceAccountName ?? 'static-egress-manager';
  if (!ds) warnings.push('manifests/ has no DaemonSet: assuming ServiceAccount static-egress-agent, default agent flags');
  if (!dep) warnings.push('manifests/ has no Deployment: assuming ServiceAccount static-egress-manager, default manager flags');
  const hasRole = (sa: string): boolean => rbac.some((d) => d.kind === 'ClusterRoleBinding' &&
    JSON.stringify(d).includes(`"name":"${sa}"`));
  let rbacYaml = rbac.map((d) => JSON.stringify(d)).join('\n---\n');
  if (!hasRole(agentServiceAccount) || !hasRole(managerServiceAccount)) {
    warnings.push('manifests/ has no ClusterRoleBinding for the agent and manager ServiceAccounts: ' +
      'using the lab\'s stand-in RBAC (e2e/src/lab/manifests.ts), NOT the shipped one');
    rbacYaml = [rbacYaml, standInRbac(agentServiceAccount, managerServiceAccount)].filter(Boolean).join('\n---\n');
  }
  return {
    rbacYaml, agentServiceAccount, managerServiceAccount, warnings,
    agentArgs: podArgs(ds), managerArgs: podArgs(dep),
  };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e) && !e.startsWith('kustomization') ? [p] : [];
  });
}

/** The first container's args without lab-owned flags or pod-only substitutions like $(NODE_NAME). */
export function podArgs(doc: K8sDoc | undefined): string[] {
  const args = doc?.spec?.template?.spec?.containers?.[0]?.args ?? [];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const flag = a.split('=')[0] ?? '';
    if (LAB_OWNED_FLAGS.includes(flag)) {
      // "--flag value" form: skip the value too.
      if (!a.includes('=') && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) i++;
      continue;
    }
    if (a.includes('$(')) continue;
    out.push(a);
  }
  return out;
}

function standInRbac(agentSA: string, managerSA: string): string {
  const ns = SYSTEM_NAMESPACE;
  const read = ['get', 'list', 'watch'];
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: agentSA, namespace: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: managerSA, namespace: ns } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'lab-stand-in-agent' },
      rules: [
        { apiGroups: ['staticegress.io'], resources: ['staticegressips', 'clusterstaticegressips', 'egressippools'], verbs: read },
        { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'namespaces'], verbs: read },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: read },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      ] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'lab-stand-in-manager' },
      rules: [
        { apiGroups: ['staticegress.io'], resources: ['staticegressips', 'clusterstaticegressips', 'egressippools'], verbs: read },
        { apiGroups: ['staticegress.io'], resources: ['staticegressips/status', 'clusterstaticegressips/status', 'egressippools/status'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'namespaces'], verbs: read },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: [...read, 'create', 'update', 'patch'] },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      ] },
    ...[['agent', agentSA], ['manager', managerSA]].map(([role, sa]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `lab-stand-in-${role}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `lab-stand-in-${role}` },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    })),
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}
