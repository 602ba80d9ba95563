// Pure: each node's cloud interface → where it may hold egress IPs, and the OpenShift-shaped capacity
// annotation to publish on its Node (`[{interface, ifaddr: {ipv4}, capacity: {ipv4}}]`, as the
// cloud-network-config-controller writes it). Capacity counts the egress IPs themselves as free, so
// it does not change as they come and go: the limit minus the primary and every other address.
import { cidrContainsIP, parseCIDR } from '@static-egress/crds';
import type { CloudPlacement } from '../assign/types.js';
import type { CloudInterface } from './provider.js';

export const EGRESS_IPCONFIG_ANNOTATION = 'cloud.network.openshift.io/egress-ipconfig';
/** Set beside it when we wrote it; without it, another component owns the annotation and we only read it. */
export const IPCONFIG_WRITER_ANNOTATION = 'staticegress.io/egress-ipconfig-writer';
export const IPCONFIG_WRITER = 'static-egress';

export interface EgressIPConfig {
  interface: string;
  ifaddr: { ipv4?: string; ipv6?: string };
  capacity: { ipv4?: number; ipv6?: number; ip?: number };
}

/** The annotation's first entry, or undefined when it does not parse. */
export function parseEgressIPConfig(text: string | undefined): EgressIPConfig | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    const e = Array.isArray(v) ? (v[0] as Partial<EgressIPConfig> | undefined) : undefined;
    if (!e || typeof e.interface !== 'string' || typeof e.ifaddr !== 'object' || typeof e.capacity !== 'object') return undefined;
    return { interface: e.interface, ifaddr: e.ifaddr ?? {}, capacity: e.capacity ?? {} };
  } catch {
    return undefined;
  }
}

export function renderEgressIPConfig(iface: CloudInterface, capacity: number): string {
  return JSON.stringify([{ interface: iface.interface, ifaddr: { ipv4: iface.subnet }, capacity: { ipv4: capacity } }]);
}

/** Egress IPs the interface can hold in all: its limit less the primary and every address that is not an egress IP. */
export function computeCloudCapacity(iface: CloudInterface, isEgressIP: (ip: string) => boolean): number {
  const others = iface.secondary.filter((ip) => !isEgressIP(ip)).length;
  return Math.max(0, iface.limit - 1 - others);
}

export interface NodeAnnotations {
  name: string;
  annotations: Readonly<Record<string, string>>;
}

export interface CloudPlacements {
  /** node → subnets and capacity, for assignEgressIPs' `cloud`. */
  placements: Map<string, CloudPlacement>;
  /** Nodes whose annotation we own and that need a new value. */
  annotations: { node: string; value: string }[];
}

/**
 * Where each node may hold egress IPs. A node whose annotation another component wrote keeps it: its
 * capacity and subnet can only narrow ours (a subnet that disagrees with the interface's leaves the
 * node no IP), and we never overwrite it.
 */
export function computeCloudPlacements(
  nodes: readonly NodeAnnotations[],
  ifaces: ReadonlyMap<string, CloudInterface>,
  isEgressIP: (ip: string) => boolean,
): CloudPlacements {
  const placements = new Map<string, CloudPlacement>();
  const annotations: CloudPlacements['annotations'] = [];
  for (const n of nodes) {
    const iface = ifaces.get(n.name);
    if (iface === undefined) continue;
    const capacity = computeCloudCapacity(iface, isEgressIP);
    const current = n.annotations[EGRESS_IPCONFIG_ANNOTATION];
    const foreign = current !== undefined && n.annotations[IPCONFIG_WRITER_ANNOTATION] !== IPCONFIG_WRITER;
    if (!foreign) {
      placements.set(n.name, { subnets: [iface.subnet], capacity });
      const value = renderEgressIPConfig(iface, capacity);
      if (value !== current) annotations.push({ node: n.name, value });
      continue;
    }
    const theirs = parseEgressIPConfig(current);
    const theirCap = theirs?.capacity.ipv4 ?? theirs?.capacity.ip;
    const agrees = theirs !== undefined && (theirs.ifaddr.ipv4 === undefined || sameSubnet(theirs.ifaddr.ipv4, iface.subnet));
    placements.set(n.name, {
      subnets: agrees ? [iface.subnet] : [],
      capacity: Math.min(capacity, typeof theirCap === 'number' && theirCap >= 0 ? theirCap : capacity),
    });
  }
  return { placements, annotations };
}

function sameSubnet(a: string, b: string): boolean {
  const ca = parseCIDR(a);
  const cb = parseCIDR(b);
  return typeof ca === 'object' && typeof cb === 'object' && ca.text === cb.text;
}

/** Whether ip lies in one of the CIDRs (the pools' ranges: the addresses this manager owns on interfaces). */
export function inCIDRs(cidrs: readonly string[]): (ip: string) => boolean {
  const parsed = cidrs.map((c) => parseCIDR(c)).filter((c) => typeof c === 'object');
  return (ip) => parsed.some((c) => cidrContainsIP(c, ip));
}
