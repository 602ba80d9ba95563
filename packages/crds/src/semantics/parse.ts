// Parsers from API objects to the internal forms. They re-check everything the CRD schema checks,
// with the same field paths, so objects that did not come through the apiserver (tests, fixtures,
// an older CRD still installed) cannot smuggle malformed values into the data path.
import {
  DEFAULT_MAX_IPS_PER_NODE,
  DEFAULT_TOPOLOGY_KEY,
  MAX_EGRESS_IPS,
  MAX_IPS_PER_NODE,
  MAX_POLICY_CIDRS,
  MAX_POOL_CIDRS,
  MAX_POOL_RESERVED,
} from '../constants.js';
import type { EgressIPPool, StaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import {
  ALL_ADDRESSES, canonicalIP, cidrContainsIP, cidrsOverlap, familyName, ipFamilyOf, isGlobalUnicast, parseCIDR, type CIDR, type IPFamily,
} from '../ip/index.js';
import { policyKey } from './keys.js';
import type { LabelSelector, LabelSelectorRequirement, Policy, Pool, PoolCIDR } from './types.js';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

type Fail = (field: string, detail: string) => never;

function failer(object?: string): Fail {
  return (field, detail) => {
    throw new ParseError(field, detail, object);
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** metadata.creationTimestamp as ms; client-node gives a Date for built-in kinds, custom objects a string. */
export function timestampMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? 0 : t;
  }
  return 0;
}

/** Parses and validates a StaticEgressIP; throws ParseError naming the field. */
export function parsePolicy(obj: StaticEgressIP): Policy {
  const o = obj as unknown as Record<string, unknown>;
  const meta = isObject(o?.metadata) ? o.metadata : {};
  const name = meta.name;
  const namespace = meta.namespace;
  let fail = failer();
  if (typeof name !== 'string' || name === '') fail('metadata.name', 'required');
  if (typeof namespace !== 'string' || namespace === '') fail('metadata.namespace', 'required');
  const key = policyKey(namespace as string, name as string);
  fail = failer(`StaticEgressIP ${key}`);

  const spec = o.spec;
  if (!isObject(spec)) fail('spec', 'required');
  const s = spec as Record<string, unknown>;

  const egressIPs = parseIPList(s.egressIPs, 'spec.egressIPs', fail, { min: 1, max: MAX_EGRESS_IPS, unicast: true });

  if (s.podSelector !== undefined && s.serviceName !== undefined) {
    fail(
      'spec.serviceName',
      'spec.serviceName and spec.podSelector are mutually exclusive: set one, or neither to select every pod of the namespace',
    );
  }
  const podSelector = s.podSelector === undefined ? undefined : parseSelector(s.podSelector, 'spec.podSelector', fail);
  let serviceName: string | undefined;
  if (s.serviceName !== undefined) {
    if (typeof s.serviceName !== 'string' || !DNS1035_LABEL.test(s.serviceName) || s.serviceName.length > 63) {
      fail('spec.serviceName', `must be a Service name (a DNS-1035 label), got ${JSON.stringify(s.serviceName)}`);
    }
    serviceName = s.serviceName as string;
  }
  const destinationCIDRs = parseDestinations(s.destinationCIDRs, egressIPs, fail);
  const excludedCIDRs =
    s.excludedCIDRs === undefined ? [] : parseCIDRList(s.excludedCIDRs, 'spec.excludedCIDRs', fail, 0);

  const assignments = new Map<string, string>();
  const status = isObject(o.status) ? o.status : {};
  // Status is ours; a stale or odd entry is ignored rather than making the policy unusable.
  for (const a of Array.isArray(status.assignments) ? status.assignments : []) {
    if (!isObject(a)) continue;
    const ip = canonicalIP(a.egressIP);
    if (ip && typeof a.node === 'string' && a.node !== '') assignments.set(ip, a.node);
  }

  const policy: Policy = {
    key,
    namespace: namespace as string,
    name: name as string,
    uid: typeof meta.uid === 'string' ? meta.uid : '',
    generation: typeof meta.generation === 'number' ? meta.generation : 0,
    createdAt: timestampMs(meta.creationTimestamp),
    egressIPs,
    destinationCIDRs,
    excludedCIDRs,
    assignments,
  };
  if (podSelector) policy.podSelector = podSelector;
  if (serviceName !== undefined) policy.serviceName = serviceName;
  return policy;
}

/** Parses and validates an EgressIPPool; throws ParseError naming the field. */
export function parsePool(obj: EgressIPPool): Pool {
  const o = obj as unknown as Record<string, unknown>;
  const meta = isObject(o?.metadata) ? o.metadata : {};
  const name = meta.name;
  let fail = failer();
  if (typeof name !== 'string' || name === '') fail('metadata.name', 'required');
  fail = failer(`EgressIPPool ${name as string}`);

  const spec = o.spec;
  if (!isObject(spec)) fail('spec', 'required');
  const s = spec as Record<string, unknown>;

  if (!Array.isArray(s.cidrs)) fail('spec.cidrs', 'required: a list of {cidr, reserved}');
  const rawCIDRs = s.cidrs as unknown[];
  if (rawCIDRs.length === 0) fail('spec.cidrs', 'must have at least one entry');
  if (rawCIDRs.length > MAX_POOL_CIDRS) fail('spec.cidrs', `must have at most ${MAX_POOL_CIDRS} entries`);
  const parsed: CIDR[] = [];
  const cidrs: PoolCIDR[] = [];
  rawCIDRs.forEach((entry, i) => {
    const f = `spec.cidrs[${i}]`;
    if (!isObject(entry)) fail(f, 'must be an object {cidr, reserved}');
    const e = entry as Record<string, unknown>;
    if (e.cidr === undefined) fail(`${f}.cidr`, 'required');
    const c = parseCIDR(e.cidr);
    if (c === 'invalid') fail(`${f}.cidr`, `must be an IPv4 or IPv6 CIDR such as 192.0.2.96/27 or 2001:db8::/64, got ${JSON.stringify(e.cidr)}`);
    if (c === 'host-bits') {
      fail(`${f}.cidr`, `must be a network address with the host bits zero, got ${JSON.stringify(e.cidr)}`);
    }
    const pc = c as CIDR;
    if (pc.text !== e.cidr) fail(`${f}.cidr`, `must be written in canonical form: ${pc.text}, not ${JSON.stringify(e.cidr)}`);
    if (parsed.some((p) => p.text === pc.text)) fail(f, `duplicate cidr ${pc.text}`);
    parsed.push(pc);
    const reserved =
      e.reserved === undefined ? [] : parseIPList(e.reserved, `${f}.reserved`, fail, { min: 0, max: MAX_POOL_RESERVED });
    for (const r of reserved) {
      if (!cidrContainsIP(pc, r)) fail(`${f}.reserved`, `every reserved address must be inside its cidr (and of its family): ${r} is not in ${pc.text}`);
    }
    const zone = e.zone === undefined ? undefined : parseZone(e.zone, `${f}.zone`, fail);
    cidrs.push({ cidr: pc.text, reserved, ...(zone === undefined ? {} : { zone }) });
  });
  checkZonesAllOrNone(cidrs, fail);
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      if (cidrsOverlap(parsed[i]!, parsed[j]!)) {
        fail('spec.cidrs', `entries must not overlap: ${parsed[i]!.text} and ${parsed[j]!.text}`);
      }
    }
  }

  let maxIPsPerNode = DEFAULT_MAX_IPS_PER_NODE;
  if (s.maxIPsPerNode !== undefined) {
    const m = s.maxIPsPerNode;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_IPS_PER_NODE) {
      fail('spec.maxIPsPerNode', `must be an integer from 1 to ${MAX_IPS_PER_NODE}, got ${JSON.stringify(m)}`);
    }
    maxIPsPerNode = m as number;
  }
  const topologyKey = s.topologyKey === undefined ? DEFAULT_TOPOLOGY_KEY : parseTopologyKey(s.topologyKey, fail);
  const pool: Pool = { name: name as string, cidrs, maxIPsPerNode, topologyKey };
  if (s.namespaceSelector !== undefined) pool.namespaceSelector = parseSelector(s.namespaceSelector, 'spec.namespaceSelector', fail);
  if (s.nodeSelector !== undefined) pool.nodeSelector = parseSelector(s.nodeSelector, 'spec.nodeSelector', fail);
  return pool;
}

function parseTopologyKey(v: unknown, fail: Fail): string {
  if (typeof v !== 'string' || v.length > 317 || !LABEL_KEY.test(v)) {
    fail('spec.topologyKey', `must be a label key such as topology.kubernetes.io/zone, got ${JSON.stringify(v)}`);
  }
  return v as string;
}

/** A zone-free range in a zoned pool would be ambiguous (where may it live? one IP per which zone?). */
function checkZonesAllOrNone(cidrs: readonly PoolCIDR[], fail: Fail): void {
  if (cidrs.some((c) => c.zone === undefined) && cidrs.some((c) => c.zone !== undefined)) {
    fail('spec.cidrs', 'either every entry has a zone or none does (put zone-free ranges in a pool of their own)');
  }
}

function parseZone(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v === '' || v.length > 63 || !LABEL_VALUE.test(v)) {
    fail(field, `must be a non-empty label value (at most 63 characters) such as zone-a, got ${JSON.stringify(v)}`);
  }
  return v as string;
}

function parseIPList(
  v: unknown,
  field: string,
  fail: Fail,
  opts: { min: number; max: number; unicast?: boolean },
): string[] {
  if (v === undefined) fail(field, 'required');
  if (!Array.isArray(v)) fail(field, 'must be a list of IPv4 or IPv6 addresses');
  const list = v as unknown[];
  if (list.length < opts.min) fail(field, `must have at least ${opts.min} entr${opts.min === 1 ? 'y' : 'ies'}`);
  if (list.length > opts.max) fail(field, `must have at most ${opts.max} entries`);
  const out: string[] = [];
  list.forEach((raw, i) => {
    const ip = canonicalIP(raw);
    if (!ip) {
      fail(`${field}[${i}]`, 'must be an IPv4 address in dotted-quad form without leading zeros, such as 192.0.2.100, or an IPv6 ' +
        `address without a zone and not IPv4-mapped, such as 2001:db8::100, got ${JSON.stringify(raw)}`);
    }
    if (opts.unicast && !isGlobalUnicast(ip!)) {
      fail(`${field}[${i}]`, `must be a unicast address (not unspecified, loopback, link-local, multicast or broadcast), got ${ip}`);
    }
    // One text per address (as the CEL rule ip.isCanonical): 2001:0db8:0:0::1 is written 2001:db8::1,
    // so the duplicate check below (and the apiserver's list-type set) sees every spelling.
    if (ip !== raw) fail(`${field}[${i}]`, `must be written in canonical form: ${ip}, not ${JSON.stringify(raw)}`);
    if (out.includes(ip!)) fail(`${field}[${i}]`, `duplicate value ${ip}`);
    out.push(ip!);
  });
  return out;
}

function parseCIDRList(v: unknown, field: string, fail: Fail, min: number): string[] {
  if (!Array.isArray(v)) fail(field, 'must be a list of IPv4 or IPv6 CIDRs');
  const list = v as unknown[];
  if (list.length < min) fail(field, `must have at least ${min} entry (omit it for the default)`);
  if (list.length > MAX_POLICY_CIDRS) fail(field, `must have at most ${MAX_POLICY_CIDRS} entries`);
  const out: string[] = [];
  list.forEach((raw, i) => {
    const c = parseCIDR(raw);
    if (c === 'invalid') fail(`${field}[${i}]`, `must be an IPv4 or IPv6 CIDR such as 198.51.100.0/24 or 2001:db8::/32, got ${JSON.stringify(raw)}`);
    if (c === 'host-bits') {
      fail(`${field}[${i}]`, `must be a network address with the host bits zero, got ${JSON.stringify(raw)}`);
    }
    const text = (c as CIDR).text;
    if (text !== raw) fail(`${field}[${i}]`, `must be written in canonical form: ${text}, not ${JSON.stringify(raw)}`);
    if (out.includes(text)) fail(`${field}[${i}]`, `duplicate value ${text}`);
    out.push(text);
  });
  return out;
}

/** The families of some addresses, IPv4 first. */
export function familiesOf(ips: readonly string[]): IPFamily[] {
  return ([4, 6] as const).filter((f) => ips.some((ip) => ipFamilyOf(ip) === f));
}

/**
 * spec.destinationCIDRs, or by default every address of each family of the egress IPs (0.0.0.0/0,
 * ::/0). A CIDR of a family the policy has no egress IP of could never take effect: refused.
 */
function parseDestinations(v: unknown, egressIPs: readonly string[], fail: Fail): string[] {
  const families = familiesOf(egressIPs);
  if (v === undefined) return families.map((f) => ALL_ADDRESSES[f]);
  const cidrs = parseCIDRList(v, 'spec.destinationCIDRs', fail, 1);
  cidrs.forEach((c, i) => {
    const f = ipFamilyOf(c)!;
    if (!families.includes(f)) {
      fail(`spec.destinationCIDRs[${i}]`, `${c} is an ${familyName(f)} CIDR but spec.egressIPs holds no ${familyName(f)} address, so ` +
        `it could never take effect: add an ${familyName(f)} egress IP, or remove the CIDR (${familyName(f)} traffic keeps the node's address)`);
    }
  });
  return cidrs;
}

/** Validates a metav1.LabelSelector and returns a copy the caller may keep. */
export function parseSelector(v: unknown, field: string, fail: Fail = failer()): LabelSelector {
  if (!isObject(v)) fail(field, 'must be a label selector {matchLabels, matchExpressions}');
  const sel = v as Record<string, unknown>;
  const out: LabelSelector = {};
  if (sel.matchLabels !== undefined) {
    if (!isObject(sel.matchLabels)) fail(`${field}.matchLabels`, 'must be a map of label keys to values');
    const entries: [string, string][] = [];
    for (const [k, val] of Object.entries(sel.matchLabels as Record<string, unknown>)) {
      if (typeof val !== 'string' || val.length > 63 || !LABEL_VALUE.test(val)) {
        fail(`${field}.matchLabels.${k}`, `must be a label value (at most 63 characters), got ${JSON.stringify(val)}`);
      }
      entries.push([k, val as string]);
    }
    // fromEntries defines own properties, so a "__proto__" label key stays a label.
    out.matchLabels = Object.fromEntries(entries);
  }
  if (sel.matchExpressions !== undefined) {
    if (!Array.isArray(sel.matchExpressions)) fail(`${field}.matchExpressions`, 'must be a list of requirements');
    out.matchExpressions = (sel.matchExpressions as unknown[]).map((r, i): LabelSelectorRequirement => {
      const f = `${field}.matchExpressions[${i}]`;
      if (!isObject(r)) fail(f, 'must be an object {key, operator, values}');
      const req = r as Record<string, unknown>;
      if (typeof req.key !== 'string' || req.key === '') fail(`${f}.key`, 'required');
      if (typeof req.operator !== 'string' || !OPERATORS.has(req.operator)) {
        fail(`${f}.operator`, `must be one of In, NotIn, Exists, DoesNotExist, got ${JSON.stringify(req.operator)}`);
      }
      const op = req.operator as LabelSelectorRequirement['operator'];
      if (req.values !== undefined && (!Array.isArray(req.values) || req.values.some((x) => typeof x !== 'string'))) {
        fail(`${f}.values`, 'must be a list of strings');
      }
      const values = (req.values as string[] | undefined) ?? [];
      const needsValues = op === 'In' || op === 'NotIn';
      if (needsValues !== values.length > 0) {
        fail(`${f}.values`, 'must be non-empty for In and NotIn and empty for Exists and DoesNotExist');
      }
      const out: LabelSelectorRequirement = { key: req.key as string, operator: op };
      if (needsValues) out.values = [...values];
      return out;
    });
  }
  return out;
}
