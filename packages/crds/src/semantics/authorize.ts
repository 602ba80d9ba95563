import { Reason } from '../constants.js';
import { comparePolicyAge } from './age.js';
import { cidrContainsIP, cidrUnusableEnd, mustParseCIDR, type CIDR } from '../ip/index.js';
import { describePolicy } from './parse-cluster.js';
import { matchesSelector } from './selector.js';
import type { AuthorizedIP, Labels, Policy, Pool } from './types.js';

interface PreparedPool {
  pool: Pool;
  cidrs: { parsed: CIDR; reserved: Set<string> }[];
}

/**
 * Decides, for every egress IP of every policy, whether it may be assigned. In this order:
 * 1. it must be in a pool's cidr, not reserved there, and the pool must admit the policy's
 *    namespace — for a ClusterStaticEgressIP, every namespace its namespaceSelector selects, so an
 *    IP of a pool only ever carries traffic of namespaces that pool admits (IPNotAuthorized); the
 *    network and broadcast addresses of an IPv4 cidr (not /31, /32) and the subnet-router anycast
 *    address of an IPv6 one (not /127, /128) are never usable (IPNotUsable); never across families;
 * 2. it must not be a node's address (IPIsNodeAddress);
 * 3. among the policies for which 1 and 2 hold, the oldest keeps it (IPConflict for the others).
 * An unauthorized claim never blocks an authorized one, so a tenant cannot hold another tenant's
 * IP hostage by naming it first. Entries keep the order of spec.egressIPs.
 */
export function authorizeEgressIPs(
  policies: readonly Policy[],
  pools: readonly Pool[],
  namespaceLabels: ReadonlyMap<string, Labels>,
  nodeAddresses: ReadonlySet<string>,
): Map<string, AuthorizedIP[]> {
  const prepared: PreparedPool[] = [...pools]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((pool) => ({
      pool,
      cidrs: pool.cidrs.map((c) => ({ parsed: mustParseCIDR(c.cidr), reserved: new Set(c.reserved) })),
    }));

  const ordered = [...policies].sort(comparePolicyAge);
  const owner = new Map<string, Policy>();
  const result = new Map<string, AuthorizedIP[]>();
  for (const policy of ordered) {
    const namespaces = claimingNamespaces(policy, namespaceLabels);
    const entries: AuthorizedIP[] = [];
    for (const ip of new Set(policy.egressIPs)) {
      const pool = findPool(prepared, ip, namespaces);
      if (!pool) {
        entries.push({ ip, problem: notUsable(prepared, ip, namespaces) ?? notAuthorized(prepared, ip, policy, namespaces) });
        continue;
      }
      if (nodeAddresses.has(ip)) {
        entries.push({
          ip,
          pool,
          problem: {
            reason: Reason.IPIsNodeAddress,
            message: `egress IP ${ip} is the address of a node; an egress IP must be a spare address that no node already uses`,
          },
        });
        continue;
      }
      const holder = owner.get(ip);
      if (holder) {
        entries.push({
          ip,
          pool,
          problem: {
            reason: Reason.IPConflict,
            message: `egress IP ${ip} is already claimed by the older ${describePolicy(holder)}; the older policy keeps it`,
          },
        });
        continue;
      }
      owner.set(ip, policy);
      entries.push({ ip, pool });
    }
    result.set(policy.key, entries);
  }
  return result;
}

/** The namespaces (name → labels) a pool must admit for `policy`: its own, or every one it selects. */
function claimingNamespaces(policy: Policy, namespaceLabels: ReadonlyMap<string, Labels>): [string, Labels][] {
  if (policy.scope !== 'Cluster') return [[policy.namespace, namespaceLabels.get(policy.namespace) ?? {}]];
  return [...namespaceLabels].filter(([, labels]) => matchesSelector(labels, policy.namespaceSelector)).sort(([a], [b]) => (a < b ? -1 : 1));
}

function admitsAll(pool: Pool, namespaces: readonly [string, Labels][]): boolean {
  return namespaces.every(([, labels]) => matchesSelector(labels, pool.namespaceSelector));
}

function findPool(pools: readonly PreparedPool[], ip: string, namespaces: readonly [string, Labels][]): string | undefined {
  for (const p of pools) {
    if (!admitsAll(p.pool, namespaces)) continue;
    if (p.cidrs.some((c) => cidrContainsIP(c.parsed, ip) && !c.reserved.has(ip) && !cidrUnusableEnd(c.parsed, ip))) return p.pool.name;
  }
  return undefined;
}

/** An IP that a pool admitting the namespaces holds only as a cidr's network or broadcast address. */
function notUsable(
  pools: readonly PreparedPool[], ip: string, namespaces: readonly [string, Labels][],
): { reason: string; message: string } | undefined {
  for (const p of pools) {
    if (!admitsAll(p.pool, namespaces)) continue;
    for (const c of p.cidrs) {
      const end = cidrUnusableEnd(c.parsed, ip);
      if (!end) continue;
      return {
        reason: Reason.IPNotUsable,
        message: `egress IP ${ip} is the ${end} address of ${c.parsed.text} in EgressIPPool ${p.pool.name}; ` +
          'the network and broadcast addresses of an IPv4 CIDR and the subnet-router anycast address of an IPv6 one are never usable: choose a host address of the pool',
      };
    }
  }
  return undefined;
}

/** Says why, without naming pools the namespace may not see beyond what helps fix it. */
function notAuthorized(
  pools: readonly PreparedPool[], ip: string, policy: Policy, namespaces: readonly [string, Labels][],
): { reason: string; message: string } {
  const reservedIn = pools.find((p) => p.cidrs.some((c) => cidrContainsIP(c.parsed, ip) && c.reserved.has(ip)));
  const containing = pools.filter((p) => p.cidrs.some((c) => cidrContainsIP(c.parsed, ip) && !c.reserved.has(ip)));
  const inAny = containing.length > 0;
  const namespace = policy.scope === 'Cluster' ? describeNotAdmitted(containing, namespaces) : `namespace ${policy.namespace}`;
  let message = `egress IP ${ip} is not in any EgressIPPool that admits ${namespace}`;
  if (reservedIn && !inAny) message = `egress IP ${ip} is reserved in EgressIPPool ${reservedIn.pool.name} and cannot be used`;
  else if (!inAny) message = `egress IP ${ip} is not in any EgressIPPool; ask the cluster admin to add it to a pool that admits ${namespace}`;
  return { reason: Reason.IPNotAuthorized, message };
}

/** For a cluster policy: the first selected namespaces that no pool containing the IP admits. */
function describeNotAdmitted(containing: readonly PreparedPool[], namespaces: readonly [string, Labels][]): string {
  const first = containing[0];
  if (!first) return 'every namespace it selects';
  const refused = namespaces.filter(([, labels]) => !matchesSelector(labels, first.pool.namespaceSelector)).map(([n]) => n);
  const shown = refused.slice(0, 3).join(', ') + (refused.length > 3 ? ` and ${refused.length - 3} more` : '');
  return `every namespace it selects (EgressIPPool ${first.pool.name} does not admit ${shown})`;
}
