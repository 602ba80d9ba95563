// OVN-Kubernetes EgressIP (k8s.ovn.org/v1, cluster-scoped: egressIPs + namespaceSelector +
// podSelector) → one pool per EgressIP (its addresses, admitting the namespaces its selector picks,
// held by the nodes OVN would use: k8s.ovn.org/egress-assignable) and the policies. Pure.
import { matchesSelector, type LabelSelector, type StaticEgressIP } from '@static-egress/crds';
import {
  ConvertError, describe, empty, hostCIDRs, ipv4OrSkip, isRecord, policy, pool, provenance, requireName,
  selectorOf, sourceOf, stringList, type Converted, type NamespaceInfo, type SourceObject, type Warning,
} from './common.js';

export const OVN_GROUP = 'k8s.ovn.org';
/** The node label OVN-Kubernetes assigns egress IPs by. */
export const OVN_EGRESS_ASSIGNABLE = 'k8s.ovn.org/egress-assignable';

interface ParsedEgressIP {
  name: string;
  egressIPs: string[];
  namespaceSelector: LabelSelector | undefined;
  podSelector: LabelSelector | undefined;
  from: string;
}

/**
 * `namespaces` are the Namespace objects of the input, or undefined when it held none: the
 * namespaceSelector can then not be expanded (see expandClusterPolicy).
 */
export function convertOVNEgressIP(inputs: readonly SourceObject[], namespaces: readonly NamespaceInfo[] | undefined): Converted {
  const out = empty();
  for (const s of inputs) {
    try {
      const e = parseEgressIP(s, out);
      if (e.egressIPs.length === 0) continue;
      out.objects.push(pool(`ovn-${e.name}`, e.from, {
        cidrs: hostCIDRs(e.egressIPs),
        ...(e.namespaceSelector ? { namespaceSelector: e.namespaceSelector } : {}),
        nodeSelector: { matchLabels: { [OVN_EGRESS_ASSIGNABLE]: '' } },
      }));
      const expanded = expandClusterPolicy(e, namespaces);
      out.objects.push(...expanded.objects);
      out.warnings.push(...expanded.warnings.map((message) => ({ object: describe(s.obj), message })));
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  warnSharedNamespaces(out);
  return out;
}

/** OVN leaves a pod selected by two EgressIPs undefined; here the older policy wins. Say so. */
function warnSharedNamespaces(out: Converted): void {
  const byNamespace = new Map<string, string[]>();
  for (const o of out.objects) {
    if (o.kind !== 'StaticEgressIP' || !o.metadata?.namespace) continue;
    byNamespace.set(o.metadata.namespace, [...(byNamespace.get(o.metadata.namespace) ?? []), o.metadata.name ?? '']);
  }
  for (const [ns, names] of byNamespace) {
    if (names.length < 2) continue;
    out.warnings.push({
      object: `Namespace ${ns}`,
      message: `selected by several EgressIPs (${names.join(', ')}): a pod both podSelectors pick uses the older StaticEgressIP only`,
    });
  }
}

function parseEgressIP(s: SourceObject, out: Converted): ParsedEgressIP {
  const name = requireName(s);
  const spec = isRecord(s.obj.spec) ? s.obj.spec : undefined;
  if (!spec) throw new ConvertError(sourceOf(s), 'spec', 'required');
  const raw = stringList(s, 'spec.egressIPs', spec.egressIPs);
  if (raw.length === 0) throw new ConvertError(sourceOf(s), 'spec.egressIPs', 'required: at least one address');
  const egressIPs: string[] = [];
  raw.forEach((ip, i) => {
    const v4 = ipv4OrSkip(s, `spec.egressIPs[${i}]`, ip);
    if (v4) egressIPs.push(v4);
    else out.warnings.push(ipv6Warning(s, ip));
  });
  if (spec.namespaceSelector === undefined) throw new ConvertError(sourceOf(s), 'spec.namespaceSelector', 'required');
  return {
    name, egressIPs: [...new Set(egressIPs)], from: provenance(s),
    namespaceSelector: selectorOf(s, 'spec.namespaceSelector', spec.namespaceSelector),
    podSelector: selectorOf(s, 'spec.podSelector', spec.podSelector),
  };
}

function ipv6Warning(s: SourceObject, ip: string): Warning {
  return { object: describe(s.obj), message: `egress IP ${ip} is IPv6: only IPv4 egress is supported, address dropped` };
}

/**
 * A cluster-scoped policy (namespaceSelector + podSelector) in today's schema: one namespaced
 * StaticEgressIP per namespace of the input that the selector picks. This is the one place to switch
 * once the cluster-scoped policy kind exists (issue 9, point 4): it then returns that one object.
 */
export function expandClusterPolicy(
  e: ParsedEgressIP, namespaces: readonly NamespaceInfo[] | undefined,
): { objects: StaticEgressIP[]; warnings: string[] } {
  if (!namespaces) {
    return {
      objects: [],
      warnings: ['its namespaceSelector picks namespaces by label, and there is no cluster-scoped policy kind yet: ' +
        'no StaticEgressIP written. Add the Namespace objects to the input (kubectl get namespaces -o yaml) to get one per selected namespace'],
    };
  }
  const selected = namespaces.filter((n) => matchesSelector(n.labels, e.namespaceSelector)).map((n) => n.name).sort();
  const objects = selected.map((ns) => policy(ns, e.name, e.from, {
    egressIPs: e.egressIPs, ...(e.podSelector ? { podSelector: e.podSelector } : {}),
  }));
  const warnings = selected.length === 0
    ? ['its namespaceSelector selects none of the namespaces of the input: no StaticEgressIP written']
    : [`written as one StaticEgressIP per selected namespace (${selected.join(', ')}): a namespace labelled later is not covered until you convert again`];
  return { objects, warnings };
}
