// OpenShift SDN (network.openshift.io/v1): NetNamespace.egressIPs (every pod of the namespace) →
// a StaticEgressIP per namespace; HostSubnet.egressIPs (manual placement on that node) → a pool of
// those addresses held only by that node; HostSubnet.egressCIDRs (automatic placement) → a pool per
// CIDR held by the nodes that list it. Pools admit the namespaces that use their addresses. Pure.
import { cidrContainsIP, mustParseCIDRv4, type EgressIPPoolCIDR, type LabelSelector } from '@static-egress/crds';
import {
  ConvertError, cidrOf, describe, dnsName, empty, HOSTNAME_LABEL, hostCIDRs, ipv4OrSkip,
  namespacesSelector, policy, pool, provenance, requireName, sortIPs, sourceOf, stringList,
  type Converted, type SourceObject,
} from './common.js';

export const SDN_GROUP = 'network.openshift.io';
/** Name of the StaticEgressIP written for a NetNamespace's egress IPs. */
export const SDN_POLICY_NAME = 'openshift-sdn-egress';

interface NetNamespace { namespace: string; egressIPs: string[]; from: string; object: string }
interface HostSubnet { node: string; hostIP: string | undefined; egressIPs: string[]; egressCIDRs: string[]; from: string; object: string }

export function convertOpenShiftSDN(netNamespaces: readonly SourceObject[], hostSubnets: readonly SourceObject[]): Converted {
  const out = empty();
  const nets = collect(netNamespaces, (s) => parseNetNamespace(s, out), out);
  const hosts = collect(hostSubnets, (s) => parseHostSubnet(s, out), out);
  const users = (ip: string) => nets.filter((n) => n.egressIPs.includes(ip)).map((n) => n.namespace);
  const manual = new Set(hosts.flatMap((h) => h.egressIPs));
  for (const h of hosts.filter((x) => x.egressIPs.length > 0)) {
    const ns = h.egressIPs.flatMap(users);
    const name = dnsName('sdn-node', h.node);
    if (ns.length === 0) out.warnings.push({ object: h.object, message: `no NetNamespace of the input uses ${h.egressIPs.join(', ')}: pool ${name} admits no namespace until you set its namespaceSelector` });
    out.objects.push(pool(name, h.from, {
      cidrs: hostCIDRs(h.egressIPs), namespaceSelector: namespacesSelector(ns), nodeSelector: nodesSelector([h.node]),
    }));
  }
  for (const [cidr, members] of groupByCIDR(hosts)) {
    const c = mustParseCIDRv4(cidr);
    const inside = (ip: string) => cidrContainsIP(c, ip);
    // Node addresses and manually placed addresses are never handed out from the automatic pool.
    const reserved = sortIPs([...new Set([...members.flatMap((h) => (h.hostIP ? [h.hostIP] : [])), ...manual].filter(inside))]);
    const ns = nets.filter((n) => n.egressIPs.some((ip) => inside(ip) && !manual.has(ip))).map((n) => n.namespace);
    const entry: EgressIPPoolCIDR = reserved.length ? { cidr, reserved } : { cidr };
    out.objects.push(pool(dnsName('sdn', cidr.replace(/[./]/g, '-')), `${SDN_GROUP}/v1 HostSubnet ${members.map((h) => h.node).join(', ')} egressCIDRs`, {
      cidrs: [entry], namespaceSelector: namespacesSelector(ns), nodeSelector: nodesSelector(members.map((h) => h.node)),
    }));
  }
  for (const n of nets) {
    out.objects.push(policy(n.namespace, SDN_POLICY_NAME, n.from, { egressIPs: n.egressIPs }));
    warnUnplaced(n, hosts, out);
    if (n.egressIPs.length > 1) {
      out.warnings.push({ object: n.object, message: `OpenShift SDN sends every pod out of the first available of ${n.egressIPs.join(', ')} (the others are standbys); here each pod is pinned to one of them. List one address to keep a single source address` });
    }
  }
  return out;
}

function collect<T>(inputs: readonly SourceObject[], parse: (s: SourceObject) => T | undefined, out: Converted): T[] {
  const parsed: T[] = [];
  for (const s of inputs) {
    try {
      const v = parse(s);
      if (v) parsed.push(v);
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      out.errors.push(err.message);
    }
  }
  return parsed;
}

function ipv4List(s: SourceObject, field: string, raw: unknown, out: Converted): string[] {
  const ips: string[] = [];
  stringList(s, field, raw).forEach((ip, i) => {
    const v4 = ipv4OrSkip(s, `${field}[${i}]`, ip);
    if (v4) ips.push(v4);
    else out.warnings.push({ object: describe(s.obj), message: `${field}: ${ip} is IPv6: only IPv4 egress is supported, address dropped` });
  });
  return [...new Set(ips)];
}

/** The namespace's egress IPs; undefined when it has none (nothing to convert). */
function parseNetNamespace(s: SourceObject, out: Converted): NetNamespace | undefined {
  const name = requireName(s);
  const namespace = typeof s.obj.netname === 'string' && s.obj.netname !== '' ? s.obj.netname : name;
  const egressIPs = ipv4List(s, 'egressIPs', s.obj.egressIPs, out);
  if (egressIPs.length > 16) throw new ConvertError(sourceOf(s), 'egressIPs', 'more than 16 addresses: split them over several StaticEgressIPs by hand');
  return egressIPs.length ? { namespace, egressIPs, from: provenance(s), object: describe(s.obj) } : undefined;
}

function parseHostSubnet(s: SourceObject, out: Converted): HostSubnet | undefined {
  const node = typeof s.obj.host === 'string' && s.obj.host !== '' ? s.obj.host : requireName(s);
  const egressIPs = ipv4List(s, 'egressIPs', s.obj.egressIPs, out);
  const egressCIDRs: string[] = [];
  stringList(s, 'egressCIDRs', s.obj.egressCIDRs).forEach((raw, i) => {
    const c = cidrOf(s, `egressCIDRs[${i}]`, raw);
    if (c.family === 6) return void out.warnings.push({ object: describe(s.obj), message: `egressCIDRs: ${raw} is IPv6: only IPv4 egress is supported, dropped` });
    if (c.masked) out.warnings.push({ object: describe(s.obj), message: `egressCIDRs[${i}] ${raw} has host bits set: converted to the network ${c.text}` });
    egressCIDRs.push(c.text);
  });
  if (egressIPs.length === 0 && egressCIDRs.length === 0) return undefined;
  const hostIP = s.obj.hostIP === undefined ? undefined : ipv4OrSkip(s, 'hostIP', s.obj.hostIP);
  return { node, hostIP, egressIPs, egressCIDRs: [...new Set(egressCIDRs)], from: provenance(s), object: describe(s.obj) };
}

/** HostSubnets by each egress CIDR they list, in CIDR order; overlapping CIDRs are kept apart. */
function groupByCIDR(hosts: readonly HostSubnet[]): [string, HostSubnet[]][] {
  const by = new Map<string, HostSubnet[]>();
  for (const h of hosts) for (const c of h.egressCIDRs) by.set(c, [...(by.get(c) ?? []), h]);
  return [...by].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

function nodesSelector(nodes: readonly string[]): LabelSelector {
  const values = [...new Set(nodes)].sort();
  return values.length === 1
    ? { matchLabels: { [HOSTNAME_LABEL]: values[0]! } }
    : { matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values }] };
}

function warnUnplaced(n: NetNamespace, hosts: readonly HostSubnet[], out: Converted): void {
  for (const ip of n.egressIPs) {
    const placed = hosts.some((h) => h.egressIPs.includes(ip) || h.egressCIDRs.some((c) => cidrContainsIP(mustParseCIDRv4(c), ip)));
    if (!placed) {
      out.warnings.push({ object: n.object, message: `no HostSubnet of the input places ${ip} (egressIPs or egressCIDRs): add the HostSubnets, or a pool that contains it` });
    }
  }
}
