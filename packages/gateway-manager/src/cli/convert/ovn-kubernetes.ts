// OVN-Kubernetes EgressIP (k8s.ovn.org/v1, cluster-scoped: egressIPs + namespaceSelector +
// podSelector) → one pool per EgressIP (its addresses, admitting the namespaces its selector picks,
// held by the nodes OVN would use: k8s.ovn.org/egress-assignable) and one ClusterStaticEgressIP with
// the same selectors. Pure.
import { matchesSelector, type ClusterStaticEgressIP, type LabelSelector } from '@static-egress/crds';
import {
  clusterPolicy, ConvertError, describe, empty, hostCIDRs, ipv4OrSkip, isRecord, pool, provenance, requireName,
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
 * `namespaces` are the Namespace objects of the input, or undefined when it held none; they are only
 * read to warn about namespaces that several EgressIPs select.
 */
export function convertOVNEgressIP(inputs: readonly SourceObject[], namespaces: readonly NamespaceInfo[] | undefined): Converted {
  const out = empty();
  const converted: ParsedEgressIP[] = [];
  for (const s of inputs) {
    try {
      const e = parseEgressIP(s, out);
      if (e.egressIPs.length === 0) continue;
      out.objects.push(pool(`ovn-${e.name}`, e.from, {
        cidrs: hostCIDRs(e.egressIPs),
        ...(e.namespaceSelector ? { namespaceSelector: e.namespaceSelector } : {}),
        nodeSelector: { matchLabels: { [OVN_EGRESS_ASSIGNABLE]: '' } },
      }));
      out.objects.push(expandClusterPolicy(e));
      converted.push(e);
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  warnSharedNamespaces(converted, namespaces ?? [], out);
  return out;
}

/**
 * OVN leaves a pod selected by two EgressIPs undefined; here the older ClusterStaticEgressIP wins
 * (both name every destination). Say so for the namespaces of the input that several select.
 */
function warnSharedNamespaces(converted: readonly ParsedEgressIP[], namespaces: readonly NamespaceInfo[], out: Converted): void {
  for (const n of namespaces) {
    const names = converted.filter((e) => matchesSelector(n.labels, e.namespaceSelector)).map((e) => e.name);
    if (names.length < 2) continue;
    out.warnings.push({
      object: `Namespace ${n.name}`,
      message: `selected by several EgressIPs (${names.join(', ')}): a pod both podSelectors pick uses the older ClusterStaticEgressIP only`,
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
 * A cluster-scoped policy (namespaceSelector + podSelector) as the ClusterStaticEgressIP of the same
 * name (issue 9, point 4): a namespace labelled later is covered without converting again. Its
 * pool admits exactly the namespaces the selector picks, so every one of them authorizes its IPs.
 */
export function expandClusterPolicy(e: ParsedEgressIP): ClusterStaticEgressIP {
  return clusterPolicy(e.name, e.from, {
    egressIPs: e.egressIPs, namespaceSelector: e.namespaceSelector, ...(e.podSelector ? { podSelector: e.podSelector } : {}),
  });
}
