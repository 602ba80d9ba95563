// Pod classes (issue 9, issue 16 §5): pods that are selected by the same policies — and, for the
// director, pinned to the same egress IPs of them — share one kernel set, so a pod is a member of one
// director set and one leak-guard set however many policies select it (before: one set per egress IP
// and one per policy, each holding the pod). The rules then walk the class's policies' destinations
// (render/state.ts). Pods of one Deployment share their labels, so a real node has few classes. A class
// is formed per pod (by uid), so two pods that share an address for a moment (a deleted pod's address
// given to a new one) each keep their own class. Pure.
import { createHash } from 'node:crypto';
import { sortIPs } from './sort.js';
import type { ClassPin, DirectorClass, DirectorEntry, GatewayEntry, GuardClass, LeakGuardEntry } from './types.js';

/** One selected pod of a policy, as computeNodeState plans it. */
export interface PlannedPod {
  uid: string;
  nodeName: string;
  podIP: string;
  /** the egress IP of the policy it is pinned to */
  pinned: string;
}

export interface ClassInput {
  nodeName: string;
  /** policy key → its selected pods (every node) */
  pods: ReadonlyMap<string, readonly PlannedPod[]>;
  director: readonly DirectorEntry[];
  gateway: readonly GatewayEntry[];
  leakGuard: readonly LeakGuardEntry[];
}

const ID_LEN = 10;

/** A stable short hex id per key (names a set and a chain); a clash, however unlikely, is rehashed. `keys` sorted. */
export function stableIds(keys: readonly string[]): Map<string, string> {
  const taken = new Set<string>();
  const out = new Map<string, string>();
  for (const key of keys) {
    let id = '';
    for (let n = 0; !id || taken.has(id); n++) id = createHash('sha256').update(n ? `${key}#${n}` : key).digest('hex').slice(0, ID_LEN);
    taken.add(id);
    out.set(key, id);
  }
  return out;
}

/** Groups pods by a key computed from what each carries; the groups (their addresses) in key order. */
function groupBy<T>(byPod: ReadonlyMap<string, { ip: string; items: T[] }>, keyOf: (items: T[]) => string): { key: string; ips: string[]; items: T[] }[] {
  const groups = new Map<string, { ips: string[]; items: T[] }>();
  for (const { ip, items } of byPod.values()) {
    const key = keyOf(items);
    const g = groups.get(key) ?? { ips: [], items };
    g.ips.push(ip);
    groups.set(key, g);
  }
  return [...groups.keys()].sort().map((key) => ({ key, ...groups.get(key)! }));
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
const byPolicy = (a: { policyKey: string }, b: { policyKey: string }) => (a.policyKey < b.policyKey ? -1 : a.policyKey > b.policyKey ? 1 : 0);

/**
 * Local pods by the egress IPs their policies pin them to. A pin to an IP with a director entry is
 * redirected; a pin to an IP held here claims the pod (its mark is cleared where that policy takes
 * precedence). A class whose pins redirect nothing needs no set: its pods leave through this node.
 */
export function computeDirectorClasses(input: ClassInput): DirectorClass[] {
  const directed = new Set(input.director.map((d) => d.egressIP));
  const held = new Set(input.gateway.map((g) => g.egressIP));
  const byPod = new Map<string, { ip: string; items: ClassPin[] }>();
  for (const [policyKey, pods] of input.pods) {
    for (const p of pods) {
      if (p.nodeName !== input.nodeName) continue;
      const kind = directed.has(p.pinned) ? 'director' : held.has(p.pinned) ? 'claim' : null;
      if (!kind) continue; // no slot for its IP (overflow): nothing programmed, as before
      const pod = byPod.get(p.uid) ?? { ip: p.podIP, items: [] };
      pod.items.push({ policyKey, egressIP: p.pinned, kind });
      byPod.set(p.uid, pod);
    }
  }
  const groups = groupBy(byPod, (pins) => pins.sort(byPolicy).map((x) => `${x.policyKey}=${x.egressIP}:${x.kind}`).join('|'))
    .filter((g) => g.items.some((x) => x.kind === 'director'));
  const ids = stableIds(groups.map((g) => g.key));
  return groups.map((g) => ({ id: ids.get(g.key)!, podIPs: sortIPs(g.ips), pins: g.items })).sort(byId);
}

/**
 * Pods (every node) by the policies whose leak guard they fall under. Most pods are under one: they
 * go straight to that policy's class; only the others are gathered per pod (this runs over every
 * selected pod of the cluster, so it allocates nothing per pod in the common case).
 */
export function computeGuardClasses(input: ClassInput): GuardClass[] {
  const guardOf = new Map(input.leakGuard.map((g) => [g.policyKey, g.id]));
  const guarded = [...input.pods].filter(([policyKey]) => guardOf.has(policyKey));
  const count = new Map<string, number>();
  for (const [, pods] of guarded) for (const p of pods) count.set(p.uid, (count.get(p.uid) ?? 0) + 1);
  const single = new Map<string, string[]>(); // guard id → addresses of pods under it alone
  const byPod = new Map<string, { ip: string; items: string[] }>();
  for (const [policyKey, pods] of guarded) {
    const id = guardOf.get(policyKey)!;
    for (const p of pods) {
      if (count.get(p.uid) === 1) {
        const ips = single.get(id) ?? [];
        ips.push(p.podIP);
        single.set(id, ips);
        continue;
      }
      const pod = byPod.get(p.uid) ?? { ip: p.podIP, items: [] };
      pod.items.push(id);
      byPod.set(p.uid, pod);
    }
  }
  const byKey = new Map(groupBy(byPod, (guards) => guards.sort().join('|')).map((g) => [g.key, g]));
  for (const [id, ips] of single) {
    const g = byKey.get(id);
    if (g) g.ips.push(...ips);
    else byKey.set(id, { key: id, ips, items: [id] });
  }
  const groups = [...byKey.keys()].sort().map((key) => byKey.get(key)!);
  const ids = stableIds(groups.map((g) => g.key));
  return groups.map((g) => ({ id: ids.get(g.key)!, podIPs: sortIPs(g.ips), guards: g.items })).sort(byId);
}
