// What every converter shares: the input object's identity, errors that name it, warnings, and the
// builders of our two kinds. Pure.
import {
  API_VERSION, cidrNetwork, compareIPs, CSEIP_KIND, GROUP, parseCIDR, parseIP, parseIPv4, parseSelector, POOL_KIND, SEIP_KIND,
  type ClusterStaticEgressIP, type EgressIPPool, type EgressIPPoolCIDR, type LabelSelector, type StaticEgressIP,
} from '@static-egress/crds';

/** One input manifest, as read: a parsed YAML/JSON document and the file it came from. */
export interface SourceObject {
  readonly obj: Record<string, unknown>;
  /** File name, or "-" for stdin. */
  readonly file: string;
}

/** A Namespace of the input: for selectors (OVN) and opt-in annotations (egressip-ipam-operator). */
export interface NamespaceInfo {
  name: string;
  /** Its labels, with kubernetes.io/metadata.name as the apiserver sets it. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The file it came from, for errors. */
  file: string;
}

/** A Namespace's opt-in annotations (namespace IPAM): applied onto the existing Namespace. */
export interface NamespaceOptIn {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: { name: string; annotations: Record<string, string> };
}

export type OutputObject = StaticEgressIP | ClusterStaticEgressIP | EgressIPPool | NamespaceOptIn;

/** Something of the input that the output cannot carry; printed as `# WARNING:` and on stderr. */
export interface Warning {
  /** `Kind namespace/name` of the input object concerned. */
  readonly object: string;
  readonly message: string;
}

export interface Converted {
  objects: OutputObject[];
  warnings: Warning[];
  /** Bad input: nothing is printed when there is any. */
  errors: string[];
}

export const empty = (): Converted => ({ objects: [], warnings: [], errors: [] });

/** Bad input: the message names the file, the object and the field. */
export class ConvertError extends Error {
  constructor(readonly source: string, readonly field: string, readonly detail: string) {
    super(`${source}: ${field ? `${field}: ` : ''}${detail}`);
  }
}

export const CONVERTED_FROM_ANNOTATION = `${GROUP}/converted-from`;
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function metaOf(o: Record<string, unknown>): { name: string; namespace: string | undefined } {
  const m = isRecord(o.metadata) ? o.metadata : {};
  return {
    name: typeof m.name === 'string' ? m.name : '',
    namespace: typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : undefined,
  };
}

/** `Kind namespace/name` (or `Kind name`), as messages name an input object. */
export function describe(o: Record<string, unknown>): string {
  const { name, namespace } = metaOf(o);
  const kind = typeof o.kind === 'string' ? o.kind : '<no kind>';
  return `${kind} ${namespace ? `${namespace}/` : ''}${name || '<no name>'}`;
}

/** What a converted object came from, for its converted-from annotation: `apiVersion Kind namespace/name`. */
export function provenance(s: SourceObject, namespace?: string): string {
  const m = metaOf(s.obj);
  const ns = m.namespace ?? namespace;
  return `${String(s.obj.apiVersion)} ${String(s.obj.kind)} ${ns ? `${ns}/` : ''}${m.name}`;
}

/** `file: Kind namespace/name`, for errors (warnings omit the file). */
export function sourceOf(s: SourceObject): string {
  return `${s.file}: ${describe(s.obj)}`;
}

export function requireName(s: SourceObject): string {
  const { name } = metaOf(s.obj);
  if (!name) throw new ConvertError(sourceOf(s), 'metadata.name', 'required');
  return name;
}

/**
 * An IPv4 address (canonical text), or undefined for a valid IPv6 address (the caller warns: our
 * kinds are IPv4 only); throws naming the field for anything else.
 */
export function ipv4OrSkip(s: SourceObject, field: string, raw: unknown): string | undefined {
  const v4 = parseIPv4(raw);
  if (v4) return v4;
  if (parseIP(raw)?.family === 6) return undefined;
  throw new ConvertError(sourceOf(s), field, `must be an IP address, got ${JSON.stringify(raw)}`);
}

/** A list of strings at `field` (absent = empty); throws naming the field otherwise. */
export function stringList(s: SourceObject, field: string, raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) {
    throw new ConvertError(sourceOf(s), field, `must be a list of strings, got ${JSON.stringify(raw)}`);
  }
  return raw as string[];
}

export interface ParsedCIDRText { text: string; masked: boolean; family: 4 | 6 }

/**
 * A CIDR (a bare address is a /32 or /128). Host bits set are cleared and reported as `masked`, as
 * the source systems' own ipsets and routes did; anything unparsable throws naming the field.
 */
export function cidrOf(s: SourceObject, field: string, raw: unknown): ParsedCIDRText {
  const bare = typeof raw === 'string' && !raw.includes('/') ? parseIP(raw) : undefined;
  const text = bare ? `${raw as string}/${bare.family === 4 ? 32 : 128}` : raw;
  const c = parseCIDR(text);
  if (typeof c === 'object') return { text: c.text, masked: false, family: c.family };
  if (c === 'host-bits') {
    const masked = cidrNetwork(text as string);
    return { text: masked, masked: true, family: masked.includes(':') ? 6 : 4 };
  }
  throw new ConvertError(sourceOf(s), field, `must be a CIDR such as 198.51.100.0/24, got ${JSON.stringify(raw)}`);
}

/** Validates a label selector of the input with our parser, errors naming the input object. */
export function selectorOf(s: SourceObject, field: string, raw: unknown): LabelSelector | undefined {
  if (raw === undefined || raw === null) return undefined;
  const sel = parseSelector(raw, field, (f, detail) => { throw new ConvertError(sourceOf(s), f, detail); });
  return isEmptySelector(sel) ? undefined : sel;
}

export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/** Admits exactly these namespaces; none at all when the list is empty (every namespace has the label). */
export function namespacesSelector(namespaces: Iterable<string>): LabelSelector {
  const values = [...new Set(namespaces)].sort();
  return values.length > 0
    ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values }] }
    : { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'DoesNotExist' }] };
}

export function policy(
  namespace: string, name: string, from: string,
  spec: { egressIPs: string[]; serviceName?: string; podSelector?: LabelSelector; destinationCIDRs?: string[] },
): StaticEgressIP {
  return {
    apiVersion: API_VERSION, kind: SEIP_KIND,
    metadata: { name, namespace, annotations: { [CONVERTED_FROM_ANNOTATION]: from } },
    spec: {
      egressIPs: spec.egressIPs,
      ...(spec.serviceName !== undefined ? { serviceName: spec.serviceName } : {}),
      ...(spec.podSelector ? { podSelector: spec.podSelector } : {}),
      ...(spec.destinationCIDRs ? { destinationCIDRs: spec.destinationCIDRs } : {}),
    },
  };
}

/** A cluster-scoped policy; `namespaceSelector` undefined selects every namespace. */
export function clusterPolicy(
  name: string, from: string,
  spec: { egressIPs: string[]; namespaceSelector: LabelSelector | undefined; podSelector?: LabelSelector },
): ClusterStaticEgressIP {
  return {
    apiVersion: API_VERSION, kind: CSEIP_KIND,
    metadata: { name, annotations: { [CONVERTED_FROM_ANNOTATION]: from } },
    spec: {
      egressIPs: spec.egressIPs,
      namespaceSelector: spec.namespaceSelector ?? {},
      ...(spec.podSelector ? { podSelector: spec.podSelector } : {}),
    },
  };
}

export function pool(
  name: string, from: string,
  spec: { cidrs: EgressIPPoolCIDR[]; namespaceSelector?: LabelSelector; nodeSelector?: LabelSelector; topologyKey?: string },
): EgressIPPool {
  return {
    apiVersion: API_VERSION, kind: POOL_KIND,
    metadata: { name, annotations: { [CONVERTED_FROM_ANNOTATION]: from } },
    spec: {
      cidrs: spec.cidrs.map((c) => ({
        cidr: c.cidr, ...(c.zone !== undefined ? { zone: c.zone } : {}), ...(c.reserved?.length ? { reserved: c.reserved } : {}),
      })),
      ...(spec.topologyKey ? { topologyKey: spec.topologyKey } : {}),
      ...(spec.namespaceSelector ? { namespaceSelector: spec.namespaceSelector } : {}),
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    },
  };
}

/** A host route per address: the pool of addresses a source system used without naming a subnet. */
export function hostCIDRs(ips: Iterable<string>): EgressIPPoolCIDR[] {
  return sortIPs([...new Set(ips)]).map((ip) => ({ cidr: `${ip}/32` }));
}

export function sortIPs(ips: readonly string[]): string[] {
  return [...ips].sort(compareIPs);
}

/** A DNS-1123 label made of `parts`: lowercase, other characters to '-', at most 63 characters. */
export function dnsName(...parts: string[]): string {
  const s = parts.filter(Boolean).join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return s.slice(0, 63).replace(/-$/, '');
}
