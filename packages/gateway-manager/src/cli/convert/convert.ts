// The dispatcher of `kubectl egress convert`: each input object to its source system's converter,
// then every result checked by the parsers both daemons use, so what is printed applies and works.
// Pure.
import {
  CSEIP_KIND, keyOf, parseClusterPolicy, parsePolicy, parsePool, POOL_KIND, type ClusterStaticEgressIP, type EgressIPPool,
  type StaticEgressIP,
} from '@static-egress/crds';
import {
  CONVERTED_FROM_ANNOTATION, ConvertError, empty, isRecord, metaOf, NAMESPACE_NAME_LABEL, sourceOf,
  type Converted, type NamespaceInfo, type OutputObject, type SourceObject,
} from './common.js';
import { convertEgressIPAM, IPAM_GROUPS } from './egressip-ipam.js';
import { convertKubeStaticEgressIP, KSEIP_GROUP } from './kube-static-egress-ip.js';
import { convertOpenShiftSDN, SDN_GROUP } from './openshift-sdn.js';
import { convertOVNEgressIP, OVN_GROUP } from './ovn-kubernetes.js';

export interface ConvertOptions {
  /** Namespace of namespaced inputs that name none; kubectl's default is "default". */
  defaultNamespace: string;
}

type Bucket = 'kseip' | 'ovn' | 'netns' | 'hostsubnet' | 'ipam' | 'namespace';

const KINDS: readonly { groups: readonly string[]; kind: string; bucket: Bucket }[] = [
  { groups: [KSEIP_GROUP], kind: 'StaticEgressIP', bucket: 'kseip' },
  { groups: [OVN_GROUP], kind: 'EgressIP', bucket: 'ovn' },
  { groups: [SDN_GROUP], kind: 'NetNamespace', bucket: 'netns' },
  { groups: [SDN_GROUP], kind: 'HostSubnet', bucket: 'hostsubnet' },
  { groups: IPAM_GROUPS, kind: 'EgressIPAM', bucket: 'ipam' },
  { groups: [''], kind: 'Namespace', bucket: 'namespace' },
];

export const SUPPORTED_KINDS =
  'StaticEgressIP (staticegressips.nirmata.io), EgressIP (k8s.ovn.org), NetNamespace and HostSubnet (network.openshift.io), ' +
  'EgressIPAM (redhatcop.redhat.io) and Namespace (v1)';

/** Every object of the input converted; `errors` non-empty means nothing should be printed. */
export function convertManifests(inputs: readonly SourceObject[], opts: ConvertOptions): Converted {
  const out = empty();
  const buckets = new Map<Bucket, SourceObject[]>();
  for (const s of inputs) {
    const group = typeof s.obj.apiVersion === 'string' && s.obj.apiVersion.includes('/') ? s.obj.apiVersion.split('/')[0]! : '';
    const k = KINDS.find((x) => x.kind === s.obj.kind && x.groups.includes(group));
    if (!k) {
      out.errors.push(`${sourceOf(s)}: unknown kind ${String(s.obj.kind)} (apiVersion ${String(s.obj.apiVersion)}): convert reads ${SUPPORTED_KINDS}`);
      continue;
    }
    buckets.set(k.bucket, [...(buckets.get(k.bucket) ?? []), s]);
  }
  const get = (b: Bucket) => buckets.get(b) ?? [];
  const namespaces: NamespaceInfo[] = [];
  for (const s of get('namespace')) {
    try {
      namespaces.push(namespaceInfo(s));
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  const parts = [
    convertKubeStaticEgressIP(get('kseip'), opts),
    convertOVNEgressIP(get('ovn'), buckets.has('namespace') ? namespaces : undefined),
    convertOpenShiftSDN(get('netns'), get('hostsubnet')),
    convertEgressIPAM(get('ipam'), namespaces),
  ];
  for (const p of parts) {
    out.objects.push(...p.objects);
    out.warnings.push(...p.warnings);
    out.errors.push(...p.errors);
  }
  if (out.errors.length === 0) out.errors.push(...validateOutput(out.objects));
  out.objects = sortOutput(out.objects);
  return out;
}

function namespaceInfo(s: SourceObject): NamespaceInfo {
  const { name } = metaOf(s.obj);
  if (!name) throw new ConvertError(sourceOf(s), 'metadata.name', 'required');
  const m = isRecord(s.obj.metadata) ? s.obj.metadata : {};
  const strings = (v: unknown) => Object.fromEntries(Object.entries(isRecord(v) ? v : {}).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
  return { name, labels: { ...strings(m.labels), [NAMESPACE_NAME_LABEL]: name }, annotations: strings(m.annotations), file: s.file };
}

/** Each object passes our parsers (the CRD's rules) and names a distinct object. */
function validateOutput(objects: readonly OutputObject[]): string[] {
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const o of objects) {
    const from = o.metadata?.annotations?.[CONVERTED_FROM_ANNOTATION] ?? '?';
    const id = `${o.kind} ${keyOf(o)}`;
    const other = seen.get(id);
    if (other !== undefined) errors.push(`${from} and ${other} both convert to ${id}: rename one of them`);
    seen.set(id, from);
    try {
      if (o.kind === POOL_KIND) parsePool(o as EgressIPPool);
      else if (o.kind === CSEIP_KIND) parseClusterPolicy(o as ClusterStaticEgressIP);
      else if (o.kind !== 'Namespace') parsePolicy(o as StaticEgressIP); // a Namespace carries only our opt-in annotations
    } catch (err) {
      errors.push(`${from}: converts to an invalid ${id}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/**
 * Pools first (a policy's addresses are honoured once a pool holds them), then cluster policies,
 * policies, and the Namespaces opting in to a pool last; each kind by name.
 */
function sortOutput(objects: readonly OutputObject[]): OutputObject[] {
  const rank = (o: OutputObject) => (o.kind === POOL_KIND ? 0 : o.kind === CSEIP_KIND ? 1 : o.kind === 'Namespace' ? 3 : 2);
  return [...objects].sort((a, b) => rank(a) - rank(b) || keyOf(a).localeCompare(keyOf(b)));
}
