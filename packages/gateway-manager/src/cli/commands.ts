// The commands of `kubectl egress`: each reads what it needs, then prints through render.ts.
import {
  authorizeEgressIPs, computeZonePreference, nodeAddressesOf, parseNode, parsePolicy, parsePool, podInfoFromPod, serviceInfoFromService, splitKey,
  type Policy, type StaticEgressIP,
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

export async function statusCommand(r: ClusterReader, scope: Scope): Promise<string> {
  const policies = await r.policies(scope.namespace);
  if (scope.output === 'json' || scope.output === 'yaml') return renderObjects(policies, scope.output);
  if (policies.length === 0) return `No StaticEgressIPs found${scope.namespace === undefined ? '' : ` in namespace ${scope.namespace}`}.`;
  return renderStatusTable(policies, { allNamespaces: scope.namespace === undefined, wide: scope.output === 'wide' });
}

/** `NAME` in the scope's namespace, or `NAMESPACE/NAME`. */
export async function explainCommand(r: ClusterReader, ref: string, scope: Scope): Promise<string> {
  const { namespace, name } = ref.includes('/') ? splitKey(ref) : { namespace: scope.namespace, name: ref };
  if (!namespace) throw new CliError(`explain ${ref}: name the namespace (-n NAMESPACE or NAMESPACE/NAME)`, Exit.Usage);
  const p = await r.policy(namespace, name);
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
  const [pod, objects, services] = await Promise.all([r.pod(namespace, name), r.policies(namespace), r.services(namespace)]);
  const policies = parseAll(objects);
  const [readable, reports] = await Promise.all([authorizationIfReadable(r, policies), optional(r.nodeReports())]);
  let result;
  try {
    result = computeTrace({
      pod: podInfoFromPod(pod), destination, policies, services: services.map(serviceInfoFromService),
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
async function authorizationIfReadable(r: ClusterReader, own: Policy[]) {
  const [all, pools, namespaces, nodes] = await Promise.all([
    optional(r.policies(undefined)), optional(r.pools()), optional(r.namespaces()), optional(r.nodes()),
  ]);
  if (!all || !pools || !namespaces || !nodes) return undefined;
  const policies = parseAll(all);
  const ownKeys = new Set(own.map((p) => p.key));
  const labels = new Map(namespaces.map((n) => [n.metadata?.name ?? '', { ...(n.metadata?.labels ?? {}) }]));
  const addresses = new Set(nodes.flatMap((n) => nodeAddressesOf(n).addresses));
  const parsedPools = pools.flatMap((p) => { try { return [parsePool(p)]; } catch { return []; } });
  const auth = authorizeEgressIPs(policies, parsedPools, labels, addresses);
  const nearIPs = computeZonePreference({ nodes: nodes.map(parseNode), pools: parsedPools, policies, authorization: auth });
  for (const key of auth.keys()) if (!ownKeys.has(key)) auth.delete(key);
  return { authorization: auth, nearIPs };
}
