// kube-static-egress-ip (staticegressips.nirmata.io/v1alpha1 StaticEgressIP, `spec.rules: [{egressip,
// service-name, cidr}]`) → our StaticEgressIPs, one per (service, egress IP) with the rules'
// destinations, and one pool per namespace holding exactly the addresses its rules used. Pure.
import {
  ConvertError, cidrOf, describe, empty, hostCIDRs, ipv4OrSkip, isRecord, metaOf, namespacesSelector, policy, pool,
  provenance, requireName, sourceOf, type Converted, type SourceObject,
} from './common.js';

export const KSEIP_GROUP = 'staticegressips.nirmata.io';

const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

interface Rule { service: string; egressIP: string; cidr: string; index: number }

export interface KubeStaticEgressIPOptions {
  /** Namespace of objects whose metadata has none (kubectl's default namespace). */
  defaultNamespace: string;
}

export function convertKubeStaticEgressIP(inputs: readonly SourceObject[], opts: KubeStaticEgressIPOptions): Converted {
  const out = empty();
  const ipsByNamespace = new Map<string, Set<string>>();
  for (const s of inputs) {
    try {
      const namespace = metaOf(s.obj).namespace ?? opts.defaultNamespace;
      const name = requireName(s);
      const rules = parseRules(s, out);
      const groups = groupRules(rules);
      warnSameDestination(s, groups, out);
      const from = provenance(s, namespace);
      groups.forEach((g, i) => {
        const policyName = groups.length === 1 ? name : `${name}-${i + 1}`;
        out.objects.push(policy(namespace, policyName, from, {
          egressIPs: [g[0]!.egressIP], serviceName: g[0]!.service, destinationCIDRs: [...new Set(g.map((r) => r.cidr))],
        }));
        const ips = ipsByNamespace.get(namespace) ?? new Set<string>();
        ips.add(g[0]!.egressIP);
        ipsByNamespace.set(namespace, ips);
      });
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  for (const [namespace, ips] of [...ipsByNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    out.objects.push(pool(`kube-static-egress-ip-${namespace}`, `${KSEIP_GROUP}/v1alpha1 StaticEgressIPs of namespace ${namespace}`, {
      cidrs: hostCIDRs(ips), namespaceSelector: namespacesSelector([namespace]),
    }));
  }
  return out;
}

/** The rules, validated; IPv6 rules are dropped with a warning (our kinds are IPv4). */
function parseRules(s: SourceObject, out: Converted): Rule[] {
  const spec = isRecord(s.obj.spec) ? s.obj.spec : undefined;
  if (!spec || !Array.isArray(spec.rules) || spec.rules.length === 0) {
    throw new ConvertError(sourceOf(s), 'spec.rules', 'required: a list of {egressip, service-name, cidr}');
  }
  const rules: Rule[] = [];
  spec.rules.forEach((r: unknown, index: number) => {
    const f = `spec.rules[${index}]`;
    if (!isRecord(r)) throw new ConvertError(sourceOf(s), f, 'must be an object {egressip, service-name, cidr}');
    const service = r['service-name'];
    if (typeof service !== 'string' || !SERVICE_NAME.test(service) || service.length > 63) {
      throw new ConvertError(sourceOf(s), `${f}.service-name`, `must be a Service name, got ${JSON.stringify(service)}`);
    }
    const egressIP = ipv4OrSkip(s, `${f}.egressip`, r.egressip);
    const cidr = cidrOf(s, `${f}.cidr`, r.cidr);
    if (!egressIP || cidr.family === 6) {
      out.warnings.push({ object: describe(s.obj), message: `${f} is IPv6 (${String(r.egressip)} to ${String(r.cidr)}): only IPv4 egress is supported, rule dropped` });
      return;
    }
    if (cidr.masked) {
      out.warnings.push({ object: describe(s.obj), message: `${f}.cidr ${String(r.cidr)} has host bits set: converted to the network ${cidr.text}` });
    }
    rules.push({ service, egressIP, cidr: cidr.text, index });
  });
  if (rules.length === 0) throw new ConvertError(sourceOf(s), 'spec.rules', 'no IPv4 rule left to convert');
  return rules;
}

/** Rules of one service and one egress IP become one policy; the order of first appearance is kept. */
function groupRules(rules: readonly Rule[]): Rule[][] {
  const groups = new Map<string, Rule[]>();
  for (const r of rules) {
    const key = `${r.service} ${r.egressIP}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/** Two egress IPs for one service and one destination: the source system was ambiguous too. */
function warnSameDestination(s: SourceObject, groups: readonly Rule[][], out: Converted): void {
  const seen = new Map<string, Rule>();
  for (const r of groups.flat()) {
    const key = `${r.service} ${r.cidr}`;
    const first = seen.get(key);
    if (first && first.egressIP !== r.egressIP) {
      out.warnings.push({
        object: describe(s.obj),
        message: `spec.rules[${first.index}] and spec.rules[${r.index}] give service ${r.service} two egress IPs (${first.egressIP}, ${r.egressIP}) for ${r.cidr}: ` +
          'the converted policies overlap and the older one wins; keep one',
      });
    }
    if (!first) seen.set(key, r);
  }
}
