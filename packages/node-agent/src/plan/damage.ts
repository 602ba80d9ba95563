// The kernel as we left it, and how far the kernel read back differs from it (hand damage). Pure.
import type { RenderedState } from '../render/types.js';
import { ipsetDiffers } from './ipset.js';
import { parsedOf, renderIptablesRestore } from './iptables.js';
import { guardDiffers } from './plan.js';
import { missing, routeKey, ruleKey, vxlanDamage } from './netlink.js';
import type { KernelView } from './types.js';

export type HealKind = 'ipset' | 'iptables' | 'rule' | 'route' | 'address' | 'vxlan' | 'guard';

/** What the kernel holds if nobody touched it since `s` was applied. */
export function modelOf(s: RenderedState): KernelView {
  return {
    ipsets: new Map(s.ipsets.map((x) => [x.name, x])),
    iptables: parsedOf(s.iptables, s.jumps),
    rules: s.rules,
    routes: s.routes,
    addresses: s.addresses.map((a) => ({ ...a, owned: true })),
    vxlan: s.vxlan,
    ...(s.guard ? { guard: { hash: s.guard.hash, rules: s.guard.rules } } : {}),
  };
}

/** Objects of `applied` that `have` lacks or holds differently, and stale ones of ours, by kind. */
export function computeDamage(applied: RenderedState, have: KernelView, chainPrefix: string): Partial<Record<HealKind, number>> {
  const out: Partial<Record<HealKind, number>> = {};
  const add = (k: HealKind, n: number) => { if (n > 0) out[k] = (out[k] ?? 0) + n; };
  const sets = new Set(applied.ipsets.map((s) => s.name));
  add('ipset', applied.ipsets.filter((s) => ipsetDiffers(s, have.ipsets.get(s.name))).length
    + [...have.ipsets.keys()].filter((n) => !sets.has(n)).length);
  const ipt = renderIptablesRestore(applied.iptables, applied.jumps, have.iptables, chainPrefix);
  add('iptables', ipt.changedChains + ipt.staleChains + ipt.jumpFixes);
  add('rule', missing(applied.rules, have.rules, ruleKey).length + missing(have.rules, applied.rules, ruleKey).length);
  add('route', missing(applied.routes, have.routes, routeKey).length + missing(have.routes, applied.routes, routeKey).length);
  add('address', missing(applied.addresses.map((a) => a.ip), have.addresses.map((a) => a.ip), (x) => x).length);
  add('vxlan', vxlanDamage(applied.vxlan, have.vxlan));
  add('guard', guardDiffers(applied, have) ? 1 : 0);
  return out;
}
