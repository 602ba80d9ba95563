// The commands of `kubectl egress`: each reads what it needs, then prints through render.ts.
import {
  authorizeEgressIPs, computeZonePreference, nodeAddressesOf, parseClusterPolicy, parseNode, parsePolicy, parsePool, podInfoFromPod,
  serviceInfoFromService, splitKey, type ClusterStaticEgressIP, type Policy, type StaticEgressIP,
} from '@static-egress/crds';
import { parseNodeReports } from '../controller/programmed.js';
import { CliError, Exit, optional, type ClusterReader } from './read.js';
import {
  computeNodeRows, renderExplain, renderNodes, renderObjects, renderPools, renderStatusTable, renderTrace, type NodeAgentSummary, type OutputFormat,
} from './render.js';
import { computeTrace, TraceError } from './trace.js';

export interface Scope {
  /** undefined with -A */
  namespace: string | undefined;
  output: OutputFormat;
}

/** With -A, the ClusterStaticEgressIPs too (listed as cseip/NAME), or a note naming why they could not be read. */
export async function statusCommand(r: ClusterReader, scope: Scope): Promise<string> {
  const all = scope.namespace === undefined;
  const [policies, cluster] = await Promise.all([r.policies(scope.namespace), all ? readOrWhy(r.clusterPolicies()) : undefined]);
  const objects = [...policies, ...(cluster && 'value' in cluster ? cluster.value : [])];
  if (scope.output === 'json' || scope.output === 'yaml') return renderObjects(objects, scope.output);
  const note = cluster && 'why' in cluster ? `\n(ClusterStaticEgressIPs not listed: ${cluster.why})` : '';
  if (objects.length === 0) return `No StaticEgressIPs found${all ? '' : ` in namespace ${scope.namespace}`}.${note}`;
  return `${renderStatusTable(objects, { allNamespaces: all, wide: scope.output === 'wide' })}${note}`;
}

/** `cseip/NAME` (or clusterstaticegressip/NAME) names a ClusterStaticEgressIP; checked before a namespace of that name. */
const CLUSTER_REF = /^(cseip|clusterstaticegressips?)(\.staticegress\.io)?\/(.*)$/i;

/** `NAME` in the scope's namespace, `NAMESPACE/NAME`, or `cseip/NAME`. */
export async function explainCommand(r: ClusterReader, ref: string, scope: Scope): Promise<string> {
  const cluster = CLUSTER_REF.exec(ref);
  if (cluster && !cluster[3]) throw new CliError(`explain ${ref}: name the ClusterStaticEgressIP (cseip/NAME)`, Exit.Usage);
  const { namespace, name } = ref.includes('/') ? splitKey(ref) : { namespace: scope.namespace, name: ref };
  if (!cluster && !namespace) throw new CliError(`explain ${ref}: name the namespace (-n NAMESPACE or NAMESPACE/NAME)`, Exit.Usage);
  const p = cluster ? await r.clusterPolicy(cluster[3]!) : await r.policy(namespace!, name);
  return scope.output === 'json' || scope.output === 'yaml' ? renderObjects([p], scope.output) : renderExplain(p);
}

export async function poolsCommand(r: ClusterReader, output: OutputFormat): Promise<string> {
  const pools = await r.pools();
  if (output === 'json' || output === 'yaml') return renderObjects(pools, output);
  const [policies, nodes] = await Promise.all([optional(r.policies(undefined)), optional(r.nodes())]);
  return renderPools(pools, policies ?? [], nodes ?? []);
}

export async function nodesCommand(r: ClusterReader, output: OutputFormat): Promise<string> {
  const [nodes, pools, policies, reports] = await Promise.all([r.nodes(), r.pools(), r.policies(undefined), optional(r.nodeReports())]);
  const agents = reports && new Map<string, NodeAgentSummary>(reports.map((o) => [o.metadata?.name ?? '', {
    fenced: o.status?.fenced === true, stopped: o.status?.stopped === true, gatewayIPs: o.status?.gatewayIPs ?? [],
  }]));
  const rows = computeNodeRows(nodes, pools, policies, agents);
  return output === 'json' || output === 'yaml' ? renderObjects(rows, output) : renderNodes(rows);
}

export interface TraceOptions {
  namespace: string;
  clusterCIDRs?: string[];
  output: OutputFormat;
}

/** The trace text and the exit code its verdict maps to. */
export async function traceCommand(r: ClusterReader, podRef: string, destination: string, o: TraceOptions): Promise<{ text: string; code: number }> {
  const { namespace, name } = podRef.includes('/') ? splitKey(podRef) : { namespace: o.namespace, name: podRef };
  const [pod, objects, services, cluster, ns] = await Promise.all([
    r.pod(namespace, name), r.policies(namespace), r.services(namespace), readOrWhy(r.clusterPolicies()), optional(r.namespace(namespace)),
  ]);
  const clusterPolicies = 'value' in cluster ? parseAllCluster(cluster.value) : [];
  const policies = [...parseAll(objects), ...clusterPolicies];
  const [readable, reports] = await Promise.all([authorizationIfReadable(r, policies, clusterPolicies), optional(r.nodeReports())]);
  let result;
  try {
    result = computeTrace({
      pod: podInfoFromPod(pod), destination, policies, services: services.map(serviceInfoFromService),
      ...(ns ? { namespaceLabels: { ...(ns.metadata?.labels ?? {}) } } : {}),
      ...('why' in cluster ? { clusterUnreadable: cluster.why } : {}),
      ...(readable ? { authorization: readable.authorization, nearIPs: readable.nearIPs } : {}),
      ...(o.clusterCIDRs ? { clusterCIDRs: o.clusterCIDRs } : {}),
      ...(reports ? { reports: parseNodeReports(reports) } : {}),
    });
  } catch (err) {
    if (err instanceof TraceError) throw new CliError(err.message, Exit.Usage);
    throw err;
  }
  const code = result.outcome === 'dropped' || result.outcome === 'not-programmed' ? Exit.Dropped : Exit.OK;
  const text = o.output === 'json' || o.output === 'yaml' ? renderObjects([{ kind: 'Trace', ...result }], o.output) : renderTrace(result);
  return { text, code };
}

/** A read that may be refused (403) or absent (404, e.g. the CRD not installed yet): the value, or why not. */
async function readOrWhy<T>(read: Promise<T>): Promise<{ value: T } | { why: string }> {
  try {
    return { value: await read };
  } catch (err) {
    if (err instanceof CliError && (err.exitCode === Exit.Forbidden || err.exitCode === Exit.NotFound)) return { why: err.message.replace(/ \(.*$/, '') };
    throw err;
  }
}

function parseAllCluster(objects: readonly ClusterStaticEgressIP[]): Policy[] {
  return objects.flatMap((o) => {
    try {
      return [parseClusterPolicy(o)];
    } catch {
      return []; // as parseAll
    }
  });
}

function parseAll(objects: readonly StaticEgressIP[]): Policy[] {
  return objects.flatMap((o) => {
    try {
      return [parsePolicy(o)];
    } catch {
      return []; // an invalid policy selects nothing (both daemons skip it)
    }
  });
}

/**
 * The managers' authorization when the caller may read what it needs (every policy, the pools,
 * namespaces and nodes); a tenant cannot, and the trace then trusts the policy's status.
 */
async function authorizationIfReadable(r: ClusterReader, own: Policy[], cluster: Policy[]) {
  const [all, pools, namespaces, nodes] = await Promise.all([
    optional(r.policies(undefined)), optional(r.pools()), optional(r.namespaces()), optional(r.nodes()),
  ]);
  if (!all || !pools || !namespaces || !nodes) return undefined;
  const policies = [...parseAll(all), ...cluster];
  const ownKeys = new Set(own.map((p) => p.key));
  const labels = new Map(namespaces.map((n) => [n.metadata?.name ?? '', { ...(n.metadata?.labels ?? {}) }]));
  const addresses = new Set(nodes.flatMap((n) => nodeAddressesOf(n).addresses));
  const parsedPools = pools.flatMap((p) => { try { return [parsePool(p)]; } catch { return []; } });
  const auth = authorizeEgressIPs(policies, parsedPools, labels, addresses);
  const nearIPs = computeZonePreference({ nodes: nodes.map(parseNode), pools: parsedPools, policies, authorization: auth });
  for (const key of auth.keys()) if (!ownKeys.has(key)) auth.delete(key);
  return { authorization: auth, nearIPs };
}
