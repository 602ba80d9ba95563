// What `kubectl egress` prints, from the objects it read. Pure.
import type { V1Node } from '@kubernetes/client-node';
import {
  cidrContainsIP, keyOf, matchesSelector, MAX_IPS_ANNOTATION, parseCIDR, parseNode, parsePool,
  type ClusterStaticEgressIP, type EgressIPPool, type StaticEgressIP,
} from '@static-egress/crds';
import { stringify } from 'yaml';
import type { TraceResult } from './trace.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

/** `-o json|yaml`: a kubectl-style List of the objects. */
export function renderObjects(items: readonly object[], format: 'json' | 'yaml'): string {
  const list = { apiVersion: 'v1', kind: 'List', items };
  return format === 'json' ? JSON.stringify(list, null, 2) : stringify(list).trimEnd();
}

/** Either kind of policy: a ClusterStaticEgressIP has no namespace and a namespaceSelector. */
export type AnyPolicy = StaticEgressIP | ClusterStaticEgressIP;

function condition(p: AnyPolicy, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** How status and explain name a policy: its name, or `cseip/NAME` for a ClusterStaticEgressIP (what `explain` takes). */
function displayName(p: AnyPolicy): string {
  return p.metadata?.namespace ? p.metadata.name ?? '' : `cseip/${p.metadata?.name ?? ''}`;
}

/**
 * The `status` table: one row per egress IP; NAMESPACE only across namespaces, as kubectl does.
 * ClusterStaticEgressIPs (with -A) follow the namespaced ones, NAMESPACE `-`, NAME `cseip/NAME`.
 */
export function renderStatusTable(
  policies: readonly AnyPolicy[], opts: { allNamespaces?: boolean; wide?: boolean } = {},
): string {
  const head = ['NAME', 'EGRESS IP', 'NODE', 'READY', 'REASON'];
  if (opts.wide) head.push('ASSIGNED', 'PROGRAMMED', 'MESSAGE');
  const rows = [opts.allNamespaces ? ['NAMESPACE', ...head] : head];
  const order = (p: AnyPolicy) => `${p.metadata?.namespace ? '0' : '1'}${keyOf(p)}`;
  for (const p of [...policies].sort((a, b) => order(a).localeCompare(order(b)))) {
    const ready = condition(p, 'Ready');
    const held = new Map((p.status?.assignments ?? []).map((a) => [a.egressIP, a.node]));
    for (const ip of p.spec?.egressIPs ?? []) {
      const row = [displayName(p), ip, held.get(ip) ?? '<none>', ready?.status ?? 'Unknown', ready?.reason ?? ''];
      if (opts.wide) row.push(condition(p, 'Assigned')?.status ?? 'Unknown', condition(p, 'Programmed')?.status ?? 'Unknown', ready?.message ?? '');
      rows.push(opts.allNamespaces ? [p.metadata?.namespace || '-', ...row] : row);
    }
  }
  return table(rows);
}

function describeSelectorText(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`);
  return parts.length ? parts.join(',') : '{} (all)';
}

/** The `explain` text. */
export function renderExplain(p: AnyPolicy): string {
  const head = p.metadata?.namespace ? keyOf(p) : `ClusterStaticEgressIP ${p.metadata?.name ?? ''}`;
  const lines = [`${head}  (generation ${p.metadata?.generation ?? '?'}, observed ${p.status?.observedGeneration ?? '-'})`];
  if ('namespaceSelector' in (p.spec ?? {})) {
    const spec = p.spec as ClusterStaticEgressIP['spec'];
    lines.push(`selects: namespaces ${describeSelectorText(spec.namespaceSelector)}, pods ${describeSelectorText(spec.podSelector)}`);
  }
  lines.push(`egress IPs: ${(p.spec?.egressIPs ?? []).join(', ')}`);
  const held = (p.status?.assignments ?? []).map((a) => `${a.egressIP} on ${a.node}`);
  lines.push(`held: ${held.length ? held.join(', ') : 'none'}`);
  for (const c of p.status?.conditions ?? []) {
    lines.push(`${c.type}=${c.status} (${c.reason}, since ${String(c.lastTransitionTime)})`, `  ${c.message}`);
  }
  if (!p.status?.conditions?.length) lines.push('no conditions yet: is the gateway-manager running?');
  return lines.join('\n');
}

/** The `pools` table: capacity, allocated and held from the pool's status, held per zone from the nodes. */
export function renderPools(pools: readonly EgressIPPool[], policies: readonly StaticEgressIP[], nodes: readonly V1Node[]): string {
  const zoneOf = new Map(nodes.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[ZONE_LABEL] ?? '-']));
  const held = policies.flatMap((p) => p.status?.assignments ?? []);
  const rows = [['NAME', 'CAPACITY', 'ALLOCATED', 'HELD', 'USED', 'HELD PER ZONE']];
  for (const pool of [...pools].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    const cidrs = (pool.spec?.cidrs ?? []).map((c) => parseCIDR(c.cidr)).filter((c) => typeof c === 'object');
    const perZone = new Map<string, number>();
    for (const a of held) {
      if (!cidrs.some((c) => cidrContainsIP(c, a.egressIP))) continue;
      const zone = zoneOf.get(a.node) ?? '-';
      perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    }
    const s = pool.status;
    const used = s?.capacity ? `${Math.round((100 * (s.allocated ?? 0)) / s.capacity)}%` : '-';
    const zones = [...perZone].sort(([a], [b]) => a.localeCompare(b)).map(([z, n]) => `${z}=${n}`).join(',');
    rows.push([keyOf(pool), String(s?.capacity ?? '-'), String(s?.allocated ?? '-'), String(s?.assigned ?? '-'), used, zones || '-']);
  }
  return table(rows);
}

export interface NodeAgentSummary {
  fenced: boolean;
  stopped: boolean;
  gatewayIPs: readonly string[];
}

export interface NodeRow {
  name: string;
  zone: string;
  health: string;
  held: number;
  capacity: number;
  agent: string;
  egressIPs: string[];
}

/** The `nodes` rows: gateway nodes (some pool admits them, or they hold IPs), IPs held and capacity. */
export function computeNodeRows(
  nodes: readonly V1Node[], pools: readonly EgressIPPool[], policies: readonly StaticEgressIP[],
  agents: ReadonlyMap<string, NodeAgentSummary> | undefined,
): NodeRow[] {
  const parsedPools = pools.flatMap((p) => { try { return [parsePool(p)]; } catch { return []; } });
  const heldBy = new Map<string, string[]>();
  for (const a of policies.flatMap((p) => p.status?.assignments ?? [])) heldBy.set(a.node, [...(heldBy.get(a.node) ?? []), a.egressIP]);
  const rows: NodeRow[] = [];
  for (const n of [...nodes].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    const info = parseNode(n);
    const admitting = parsedPools.filter((p) => matchesSelector(info.labels, p.nodeSelector));
    const ips = heldBy.get(info.name) ?? [];
    if (admitting.length === 0 && ips.length === 0) continue;
    const annotation = Number(info.annotations[MAX_IPS_ANNOTATION]);
    const poolMax = Math.max(0, ...admitting.map((p) => p.maxIPsPerNode));
    const agent = agents?.get(info.name);
    rows.push({
      name: info.name, zone: info.labels[ZONE_LABEL] ?? '-', health: nodeHealth(info), held: ips.length,
      capacity: info.annotations[MAX_IPS_ANNOTATION] !== undefined && Number.isInteger(annotation) && annotation >= 0 ? Math.min(annotation, poolMax) : poolMax,
      agent: agents === undefined ? 'unknown' : !agent ? 'no report' : agent.stopped ? 'stopped' : agent.fenced ? 'fenced' : `holds ${agent.gatewayIPs.length}`,
      egressIPs: ips,
    });
  }
  return rows;
}

export function renderNodes(rows: readonly NodeRow[]): string {
  return table([
    ['NAME', 'ZONE', 'HEALTH', 'HELD', 'CAPACITY', 'AGENT', 'EGRESS IPS'],
    ...rows.map((r) => [r.name, r.zone, r.health, String(r.held), String(r.capacity), r.agent, r.egressIPs.join(',') || '-']),
  ]);
}

function nodeHealth(n: ReturnType<typeof parseNode>): string {
  if (n.deleted) return 'Deleting';
  if (!n.ready) return 'NotReady';
  return n.cordoned ? 'Cordoned' : 'Ready';
}

/** The `trace` text: the steps, then the verdict on a line of its own. */
export function renderTrace(r: TraceResult): string {
  const width = Math.max(...r.steps.map(([label]) => label.length), 'verdict'.length);
  return [...r.steps, ['verdict', r.verdict] as const].map(([l, t]) => `${l.padEnd(width)}  ${t}`).join('\n');
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
