// egressip-ipam-operator (redhatcop.redhat.io/v1alpha1 EgressIPAM: cidrAssignments per topology
// value, topologyLabel, nodeSelector) + the Namespace annotations that opt in (…/egressipam) and name
// the namespace's addresses (…/egressips) → one pool with a zone per CIDR and one StaticEgressIP per
// namespace: the Namespace's own opt-in annotations of our namespace IPAM. Pure.
import {
  cidrContainsIP, DEFAULT_TOPOLOGY_KEY, mustParseCIDRv4, NAMESPACE_EGRESS_IPS_ANNOTATION, NAMESPACE_POOL_ANNOTATION, parseIPv4,
  type EgressIPPool, type LabelSelector,
} from '@static-egress/crds';
import {
  ConvertError, cidrOf, describe, empty, ipv4OrSkip, isRecord, namespacesSelector, pool,
  provenance, requireName, selectorOf, sortIPs, sourceOf, CONVERTED_FROM_ANNOTATION, type Converted, type NamespaceInfo,
  type NamespaceOptIn, type SourceObject,
} from './common.js';

/** The operator's API group; the issue spells it redhat-cop.io, which is accepted too. */
export const IPAM_GROUPS = ['redhatcop.redhat.io', 'redhat-cop.io'];
export const IPAM_ANNOTATION = 'egressip-ipam-operator.redhat-cop.io/egressipam';
export const IPS_ANNOTATION = 'egressip-ipam-operator.redhat-cop.io/egressips';

interface Assignment { zone: string; cidr: string; reserved: string[] }
export interface ParsedIPAM {
  name: string;
  topologyLabel: string;
  nodeSelector: LabelSelector | undefined;
  assignments: Assignment[];
  from: string;
  object: string;
}

export function convertEgressIPAM(inputs: readonly SourceObject[], namespaces: readonly NamespaceInfo[]): Converted {
  const out = empty();
  const ipams = new Map<string, ParsedIPAM>();
  for (const s of inputs) {
    try {
      const ipam = parseIPAM(s, out);
      if (ipam) ipams.set(ipam.name, ipam);
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  const optedIn = namespaces.filter((n) => n.annotations[IPAM_ANNOTATION] !== undefined);
  for (const ipam of ipams.values()) {
    const members = optedIn.filter((n) => n.annotations[IPAM_ANNOTATION] === ipam.name).map((n) => n.name);
    if (members.length === 0) {
      out.warnings.push({ object: ipam.object, message: 'no Namespace of the input opts in (annotation ' + IPAM_ANNOTATION + '): its pools admit no namespace until you set their namespaceSelector' });
    }
    out.objects.push(...poolsForZones(ipam, members));
  }
  for (const n of optedIn) {
    const ipam = ipams.get(n.annotations[IPAM_ANNOTATION]!);
    if (!ipam) {
      out.warnings.push({ object: `Namespace ${n.name}`, message: `opts in to EgressIPAM ${n.annotations[IPAM_ANNOTATION]}, which is not in the input: add it to convert this namespace` });
      continue;
    }
    try {
      out.objects.push(namespaceOptIn(n, ipam));
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  return out;
}

function parseIPAM(s: SourceObject, out: Converted): ParsedIPAM | undefined {
  const name = requireName(s);
  const spec = isRecord(s.obj.spec) ? s.obj.spec : undefined;
  if (!spec) throw new ConvertError(sourceOf(s), 'spec', 'required');
  if (typeof spec.topologyLabel !== 'string' || spec.topologyLabel === '') throw new ConvertError(sourceOf(s), 'spec.topologyLabel', 'required');
  const raw = spec.cidrAssignments ?? [];
  if (!Array.isArray(raw)) throw new ConvertError(sourceOf(s), 'spec.cidrAssignments', 'must be a list of {labelValue, CIDR, reservedIPs}');
  const assignments = raw.map((a: unknown, i: number) => parseAssignment(s, `spec.cidrAssignments[${i}]`, a, out));
  if (assignments.length === 0) {
    out.warnings.push({ object: describe(s.obj), message: 'no cidrAssignments (the operator discovers cloud subnets itself): nothing converted; write a pool with your subnets' });
    return undefined;
  }
  return {
    name, topologyLabel: spec.topologyLabel, nodeSelector: selectorOf(s, 'spec.nodeSelector', spec.nodeSelector),
    assignments, from: provenance(s), object: describe(s.obj),
  };
}

function parseAssignment(s: SourceObject, f: string, a: unknown, out: Converted): Assignment {
  if (!isRecord(a)) throw new ConvertError(sourceOf(s), f, 'must be an object {labelValue, CIDR, reservedIPs}');
  if (typeof a.labelValue !== 'string') throw new ConvertError(sourceOf(s), `${f}.labelValue`, 'required');
  const c = cidrOf(s, `${f}.CIDR`, a.CIDR);
  if (c.family === 6) throw new ConvertError(sourceOf(s), `${f}.CIDR`, `${String(a.CIDR)} is IPv6: only IPv4 egress is supported`);
  if (c.masked) out.warnings.push({ object: describe(s.obj), message: `${f}.CIDR ${String(a.CIDR)} has host bits set: converted to the network ${c.text}` });
  const parsed = mustParseCIDRv4(c.text);
  const reserved: string[] = [];
  (Array.isArray(a.reservedIPs) ? a.reservedIPs : a.reservedIPs === undefined ? [] : [a.reservedIPs]).forEach((r: unknown, j: number) => {
    const ip = ipv4OrSkip(s, `${f}.reservedIPs[${j}]`, r);
    if (ip && cidrContainsIP(parsed, ip)) reserved.push(ip);
    else out.warnings.push({ object: describe(s.obj), message: `${f}.reservedIPs[${j}] ${String(r)} is not in ${c.text}: dropped (it reserved nothing there either)` });
  });
  return { zone: a.labelValue, cidr: c.text, reserved: sortIPs([...new Set(reserved)]) };
}

/**
 * The pool of one EgressIPAM: one CIDR per cidrAssignment, tagged with its zone under the pool's
 * topologyKey (the IPAM's topologyLabel), so an address is held only by nodes of its zone and a pod
 * prefers the address held in its own zone (issue 9, point 2); held by the IPAM's nodeSelector.
 */
export function poolsForZones(ipam: ParsedIPAM, namespaces: readonly string[]): EgressIPPool[] {
  return [pool(ipam.name, ipam.from, {
    cidrs: ipam.assignments.map((a) => ({ cidr: a.cidr, zone: a.zone, ...(a.reserved.length ? { reserved: a.reserved } : {}) })),
    ...(ipam.topologyLabel !== DEFAULT_TOPOLOGY_KEY ? { topologyKey: ipam.topologyLabel } : {}),
    namespaceSelector: namespacesSelector(namespaces),
    ...(ipam.nodeSelector ? { nodeSelector: ipam.nodeSelector } : {}),
  })];
}

/**
 * A namespace that opted in → the same opt-in in our namespace IPAM (docs/namespace-ipam.md): the
 * pool annotation (the manager allocates one address per zone), plus the addresses it names, if
 * any (checked here as the operator reads them: one per cidrAssignment, in order, inside it; the
 * manager checks them again against what is free).
 */
export function namespaceOptIn(n: NamespaceInfo, ipam: ParsedIPAM): NamespaceOptIn {
  const annotations: Record<string, string> = {
    [NAMESPACE_POOL_ANNOTATION]: ipam.name,
    [CONVERTED_FROM_ANNOTATION]: `v1 Namespace ${n.name} (${IPAM_ANNOTATION}=${ipam.name})`,
  };
  const listed = n.annotations[IPS_ANNOTATION];
  if (listed !== undefined && listed.trim() !== '') annotations[NAMESPACE_EGRESS_IPS_ANNOTATION] = namedIPs(n, ipam, listed).join(',');
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, annotations } };
}

function namedIPs(n: NamespaceInfo, ipam: ParsedIPAM, listed: string): string[] {
  const src = `${n.file}: Namespace ${n.name}`;
  const field = `metadata.annotations[${IPS_ANNOTATION}]`;
  const ips = listed.split(',').map((raw) => {
    const ip = parseIPv4(raw.trim());
    if (!ip) throw new ConvertError(src, field, `${JSON.stringify(raw)} is not an IPv4 address (IP1,IP2,... one per CIDR)`);
    return ip;
  });
  if (ips.length !== ipam.assignments.length) {
    throw new ConvertError(src, field, `names ${ips.length} addresses, EgressIPAM ${ipam.name} has ${ipam.assignments.length} CIDRs: one address per CIDR, in order`);
  }
  ipam.assignments.forEach((a, i) => {
    if (!cidrContainsIP(mustParseCIDRv4(a.cidr), ips[i]!)) {
      throw new ConvertError(src, field, `${ips[i]} is not in ${a.cidr} (cidrAssignment ${i} of EgressIPAM ${ipam.name})`);
    }
  });
  return ips;
}
