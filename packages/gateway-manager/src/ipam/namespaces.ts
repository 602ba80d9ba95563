// Namespace opt-in IPAM (issue 9, the egressip-ipam-operator model; docs/namespace-ipam.md). A
// Namespace annotated staticegress.io/pool=<pool>, and admitted by that pool, gets one egress IP per
// zone of the pool (one for a pool without zones) and per family of that zone's cidrs (issue 11), or
// the IPs it names in staticegress.io/egress-ips.
// The allocation lives in the API as a StaticEgressIP the manager owns in that namespace (so it is
// stable across restarts and leader changes, and every other part works on it unchanged) and is
// written back onto the Namespace as staticegress.io/allocated-ips. Pure: the leader's executor
// (kube-namespaces.ts) applies the actions and records the Events.
import {
  MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_ALLOCATED_IPS_ANNOTATION, NAMESPACE_EGRESS_IPS_ANNOTATION, NAMESPACE_POLICY_NAME,
  NAMESPACE_POOL_ANNOTATION, EventReason, canonicalIP, compareIPs, familiesOf, familyName, ipFamilyOf, matchesSelector, poolZones,
  type IPFamily, type Labels, type Pool, type PoolCIDR, type StaticEgressIP,
} from '@static-egress/crds';
import { checkPoolAddress, firstFreeAddress } from './free.js';

export interface NamespaceInfo {
  name: string;
  uid: string;
  labels: Labels;
  annotations: Labels;
  /** metadata.deletionTimestamp is set: its objects go with it. */
  deleting?: boolean;
}

export interface NamespaceIPAMInput {
  namespaces: readonly NamespaceInfo[];
  /** Valid pools (parsePool). */
  pools: readonly Pool[];
  /** Every StaticEgressIP object (valid or not) by `namespace/name`: what is taken, and the managed ones. */
  policyObjects: ReadonlyMap<string, StaticEgressIP>;
  /** Egress IPs named by other kinds of policy (a ClusterStaticEgressIP, ...): taken too. */
  otherClaims?: Iterable<string>;
  /** Every address of every node. */
  nodeAddresses: ReadonlySet<string>;
  /** namespace → the Event message last recorded (result.reported), so each is recorded once, not once per pass. */
  reported: ReadonlyMap<string, string>;
}

/** Create or update the managed StaticEgressIP and the allocated-ips annotation; or remove both. */
export type NamespaceAction =
  | { kind: 'apply'; namespace: string; pool: string; ips: string[] }
  | { kind: 'release'; namespace: string; deletePolicy: boolean };

export interface NamespaceEvent {
  namespace: string;
  uid: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface NamespaceIPAMResult {
  actions: NamespaceAction[];
  events: NamespaceEvent[];
  /** Feed back as `reported`. */
  reported: Map<string, string>;
}

const managedKey = (ns: string) => `${ns}/${NAMESPACE_POLICY_NAME}`;

export function isManagedPolicy(o: StaticEgressIP | undefined): boolean {
  return o?.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/** Reads a Namespace object as the IPAM needs it. */
export function namespaceInfoOf(n: { metadata?: { name?: string; uid?: string; labels?: Labels; annotations?: Labels; deletionTimestamp?: unknown } }): NamespaceInfo {
  const m = n.metadata ?? {};
  return { name: m.name ?? '', uid: m.uid ?? '', labels: m.labels ?? {}, annotations: m.annotations ?? {}, ...(m.deletionTimestamp ? { deleting: true } : {}) };
}

export function computeNamespaceAllocations(input: NamespaceIPAMInput): NamespaceIPAMResult {
  const out: NamespaceIPAMResult = { actions: [], events: [], reported: new Map() };
  const claims = claimsOf(input);
  const pools = new Map(input.pools.map((p) => [p.name, p]));
  for (const ns of [...input.namespaces].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (ns.deleting) continue;
    const object = input.policyObjects.get(managedKey(ns.name));
    const managed = isManagedPolicy(object) ? object : undefined;
    const current = managed ? ((managed.spec?.egressIPs ?? []) as string[]) : [];
    const want = ns.annotations[NAMESPACE_POOL_ANNOTATION];
    if (want === undefined) {
      if (managed || ns.annotations[NAMESPACE_ALLOCATED_IPS_ANNOTATION] !== undefined) {
        out.actions.push({ kind: 'release', namespace: ns.name, deletePolicy: managed !== undefined });
        if (managed) event(out, input, ns, 'Normal', EventReason.EgressIPNamespaceReleased, `released egress IPs ${current.join(', ')}: the ${NAMESPACE_POOL_ANNOTATION} annotation was removed`);
      }
      continue;
    }
    const self = managedKey(ns.name);
    const free = (ip: string) => (claims.get(ip) ?? []).every((k) => k === self);
    const decided = decide(ns, pools.get(want), want, object, current, free);
    if ('problem' in decided) {
      event(out, input, ns, 'Warning', EventReason.EgressIPNamespaceInvalid, `${decided.problem}; nothing changed`);
      continue;
    }
    for (const ip of decided.ips) claims.set(ip, [...(claims.get(ip) ?? []), self]);
    const same = sameList(current, decided.ips) && managed?.metadata?.annotations?.[NAMESPACE_POOL_ANNOTATION] === want;
    if (same && ns.annotations[NAMESPACE_ALLOCATED_IPS_ANNOTATION] === decided.ips.join(',')) continue;
    out.actions.push({ kind: 'apply', namespace: ns.name, pool: want, ips: decided.ips });
    if (!sameList(current, decided.ips)) {
      event(out, input, ns, 'Normal', EventReason.EgressIPNamespaceAllocated, `egress IPs ${decided.ips.join(', ')} from pool ${want} for every pod of the namespace`);
    }
  }
  return out;
}

type Decision = { ips: string[] } | { problem: string };

/** The IPs the namespace should have, or why its annotations cannot be honoured. */
function decide(ns: NamespaceInfo, pool: Pool | undefined, want: string, object: StaticEgressIP | undefined, current: string[], free: (ip: string) => boolean): Decision {
  const at = `${NAMESPACE_POOL_ANNOTATION}=${want}`;
  if (object && !isManagedPolicy(object)) return { problem: `${at}: the StaticEgressIP ${NAMESPACE_POLICY_NAME} in ${ns.name} is not managed by static-egress (no ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}); rename it to opt in` };
  if (!pool) return { problem: `${at}: no valid EgressIPPool ${JSON.stringify(want)} exists` };
  if (!matchesSelector(ns.labels, pool.namespaceSelector)) return { problem: `${at}: pool ${want} does not admit namespace ${ns.name} (its namespaceSelector does not match the namespace's labels)` };
  const zones = poolZones(pool);
  const requested = ns.annotations[NAMESPACE_EGRESS_IPS_ANNOTATION];
  if (requested !== undefined) return checkRequested(requested, pool, zones, free);
  // keep what it has while it is still valid (a leader change or a restart changes nothing)
  if (current.length > 0 && !('problem' in checkIPs(current, pool, zones, free))) return { ips: orderByZone(current, pool) };
  const ips: string[] = [];
  for (const { zone, family, cidrs } of allocationGroups(pool, zones)) {
    const keep = current.find((ip) => free(ip) && !('problem' in checkPoolAddress(cidrs, ip)));
    const ip = keep ?? firstFreeAddress(cidrs, (x) => !free(x) || ips.includes(x));
    if (ip === undefined) {
      const where = [...(zone === undefined ? [] : [`zone ${zone}`]), ...(familiesOf(pool.cidrs.map((c) => c.cidr)).length > 1 ? [familyName(family)] : [])];
      return { problem: `${at}: pool ${want} has no free address${where.length ? ` (${where.join(', ')})` : ''}` };
    }
    ips.push(ip);
  }
  return { ips };
}

/**
 * A namespace gets one egress IP per zone and family of its pool (issue 11: a dual-stack pool gives
 * an IPv4 and an IPv6 one per zone), from that zone's cidrs of that family.
 */
function allocationGroups(pool: Pool, zones: readonly string[]): { zone: string | undefined; family: IPFamily; cidrs: PoolCIDR[] }[] {
  return (zones.length ? zones : [undefined]).flatMap((zone) => {
    const inZone = pool.cidrs.filter((c) => c.zone === zone);
    return familiesOf(inZone.map((c) => c.cidr)).map((family) => ({ zone, family, cidrs: inZone.filter((c) => ipFamilyOf(c.cidr) === family) }));
  });
}

function checkRequested(raw: string, pool: Pool, zones: string[], free: (ip: string) => boolean): Decision {
  const at = `${NAMESPACE_EGRESS_IPS_ANNOTATION}=${raw}`;
  const parts = raw.split(',').map((s) => s.trim());
  const bad = parts.find((p) => canonicalIP(p) !== p);
  if (bad !== undefined) {
    return { problem: `${at}: ${JSON.stringify(bad)} is not an IPv4 address or an IPv6 address in canonical form (a comma-separated list such as 192.0.2.10,2001:db8::10)` };
  }
  const checked = checkIPs(parts, pool, zones, free);
  return 'problem' in checked ? { problem: `${at}: ${checked.problem}` } : { ips: orderByZone(parts, pool) };
}

/** One IP per zone (one in all without zones), each an address of the pool that may be handed out, and free. */
function checkIPs(ips: string[], pool: Pool, zones: string[], free: (ip: string) => boolean): { ok: true } | { problem: string } {
  const need = allocationGroups(pool, zones).length;
  const dual = familiesOf(pool.cidrs.map((c) => c.cidr)).length > 1;
  const per = dual ? ' and family' : '';
  const what = zones.length ? `one per zone${per} of pool ${pool.name} (${zones.join(', ')})` : dual ? `one per family (pool ${pool.name} has no zones)` : `one (pool ${pool.name} has no zones)`;
  if (ips.length !== need || new Set(ips).size !== ips.length) return { problem: `${ips.length} distinct address(es) given, ${what} needed` };
  const seen = new Set<string>();
  for (const ip of ips) {
    const r = checkPoolAddress(pool.cidrs, ip);
    if ('problem' in r) return { problem: `${ip} ${PROBLEM_TEXT[r.problem]} of pool ${pool.name}` };
    const group = `${r.cidr.zone ?? ''} ${ipFamilyOf(ip)}`;
    if (seen.has(group)) return { problem: `two ${dual ? `${familyName(ipFamilyOf(ip)!)} ` : ''}addresses in ${r.cidr.zone === undefined ? 'the pool' : `zone ${r.cidr.zone}`}: ${what} needed` };
    seen.add(group);
    if (!free(ip)) return { problem: `${ip} is in use (another policy names it, or it is a node's address)` };
  }
  return { ok: true };
}

const PROBLEM_TEXT = {
  'not-in-pool': 'is not in any cidr',
  'network-or-broadcast': 'is the network or broadcast address (IPv6: the subnet-router anycast address) of a cidr',
  reserved: 'is reserved in a cidr',
} as const;

/** In the pool's zone order, then address order (IPv4 first), so the annotation reads the same every time. */
function orderByZone(ips: readonly string[], pool: Pool): string[] {
  const zoneOf = (ip: string) => {
    const r = checkPoolAddress(pool.cidrs, ip);
    return 'cidr' in r ? r.cidr.zone ?? '' : '';
  };
  return [...ips].sort((a, b) => (zoneOf(a) < zoneOf(b) ? -1 : zoneOf(a) > zoneOf(b) ? 1 : compareIPs(a, b)));
}

/** ip → who has it: every policy naming it (valid or not, by key), 'node' for node addresses, 'other' for other claims. */
function claimsOf(input: NamespaceIPAMInput): Map<string, string[]> {
  const claims = new Map<string, string[]>();
  const add = (ip: string, who: string) => claims.set(ip, [...(claims.get(ip) ?? []), who]);
  for (const ip of input.nodeAddresses) add(ip, 'node');
  for (const [key, o] of input.policyObjects) {
    for (const raw of (o.spec?.egressIPs ?? []) as unknown[]) {
      const ip = canonicalIP(raw);
      if (ip) add(ip, key);
    }
  }
  for (const ip of input.otherClaims ?? []) add(ip, 'other');
  return claims;
}

/** The same addresses (the managed object lists them in zone order; order alone is no change). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Records an Event unless the last pass recorded the same one (a cache that lags our own write, a bad annotation that stays). */
function event(out: NamespaceIPAMResult, input: NamespaceIPAMInput, ns: NamespaceInfo, type: NamespaceEvent['type'], reason: string, message: string): void {
  out.reported.set(ns.name, message);
  if (input.reported.get(ns.name) !== message) out.events.push({ namespace: ns.name, uid: ns.uid, type, reason, message });
}
