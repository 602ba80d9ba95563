// The API reads of `kubectl egress`, and what their failures mean to the person who typed it.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import {
  CSEIP_PLURAL, GROUP, POOL_PLURAL, SEIP_PLURAL, SENODE_PLURAL, VERSION,
  type ClusterStaticEgressIP, type EgressIPPool, type StaticEgressIP, type StaticEgressNode,
} from '@static-egress/crds';

/** Exit codes (documented in `kubectl egress --help`). */
export const Exit = {
  OK: 0,
  /** API unreachable or an unexpected error. */
  Error: 1,
  /** Bad command line. */
  Usage: 2,
  NotFound: 3,
  /** Not allowed (401/403): the message names the verb and resource. */
  Forbidden: 4,
  /** trace: the packet is dropped (fail-closed) or not programmed yet. */
  Dropped: 5,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

const NODE_REPORT_PLURAL = SENODE_PLURAL;

/** What the API said, as an error that tells the user what to do. */
export function explainApiError(err: unknown, what: string): CliError {
  const e = err as { code?: number; message?: string; cause?: { code?: string } };
  if (e.code === 404) return new CliError(`${what}: not found`, Exit.NotFound);
  if (e.code === 401) return new CliError(`${what}: unauthorized: check the credentials in your kubeconfig`, Exit.Forbidden);
  if (e.code === 403) {
    return new CliError(`${what}: forbidden: your account may not read it (ask for the static-egress view role, or name a namespace you may read with -n)`, Exit.Forbidden);
  }
  const net = e.cause?.code ?? /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH/.exec(e.message ?? '')?.[0];
  if (net) return new CliError(`${what}: cannot reach the API server (${net}): check --kubeconfig / KUBECONFIG and --context`, Exit.Error);
  return new CliError(`${what}: ${(e.message ?? String(err)).split('\n')[0]}`, Exit.Error);
}

/** Returns undefined when the caller may not read it or it does not exist (optional context). */
export async function optional<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof CliError && (err.exitCode === Exit.Forbidden || err.exitCode === Exit.NotFound)) return undefined;
    const code = (err as { code?: number }).code;
    if (code === 403 || code === 404 || code === 401) return undefined;
    throw err;
  }
}

/** One read; 429 (the apiserver asks to slow down, e.g. a CRD still starting) is retried twice. */
async function must<T>(read: () => Promise<T>, what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if ((err as { code?: number }).code === 429 && attempt < 3) {
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      throw explainApiError(err, what);
    }
  }
}

export class ClusterReader {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Policies of `namespace`, or of every namespace when it is undefined. */
  async policies(namespace: string | undefined): Promise<StaticEgressIP[]> {
    const where = namespace === undefined ? 'in any namespace' : `in namespace ${namespace}`;
    const read = () => namespace === undefined
      ? this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: SEIP_PLURAL })
      : this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: SEIP_PLURAL, namespace });
    return ((await must(read, `list staticegressips ${where}`)) as { items: StaticEgressIP[] }).items;
  }

  async policy(namespace: string, name: string): Promise<StaticEgressIP> {
    const read = () => this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: SEIP_PLURAL, namespace, name });
    return (await must(read, `staticegressip ${namespace}/${name}`)) as StaticEgressIP;
  }

  /** Every ClusterStaticEgressIP (cluster-scoped: a tenant's namespace RoleBinding cannot grant it). */
  async clusterPolicies(): Promise<ClusterStaticEgressIP[]> {
    const read = () => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: CSEIP_PLURAL });
    return ((await must(read, `list ${CSEIP_PLURAL}`)) as { items: ClusterStaticEgressIP[] }).items;
  }

  async clusterPolicy(name: string): Promise<ClusterStaticEgressIP> {
    const read = () => this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: CSEIP_PLURAL, name });
    return (await must(read, `clusterstaticegressip ${name}`)) as ClusterStaticEgressIP;
  }

  async pools(): Promise<EgressIPPool[]> {
    const read = () => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: POOL_PLURAL });
    return ((await must(read, 'list egressippools')) as { items: EgressIPPool[] }).items;
  }

  async nodes(): Promise<V1Node[]> {
    return (await must(() => this.core.listNode(), 'list nodes')).items;
  }

  async pod(namespace: string, name: string): Promise<V1Pod> {
    return must(() => this.core.readNamespacedPod({ namespace, name }), `pod ${namespace}/${name}`);
  }

  async services(namespace: string) {
    return (await must(() => this.core.listNamespacedService({ namespace }), `list services in namespace ${namespace}`)).items;
  }

  /** One Namespace (its labels decide which ClusterStaticEgressIPs select its pods). */
  async namespace(name: string) {
    return must(() => this.core.readNamespace({ name }), `namespace ${name}`);
  }

  async namespaces() {
    return (await must(() => this.core.listNamespace(), 'list namespaces')).items;
  }

  /** The agents' per-node reports (StaticEgressNode objects). */
  async nodeReports(): Promise<NodeReportObject[]> {
    const read = () => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: NODE_REPORT_PLURAL });
    return ((await must(read, `list ${NODE_REPORT_PLURAL}`)) as { items: NodeReportObject[] }).items;
  }
}

export type NodeReportObject = StaticEgressNode;
