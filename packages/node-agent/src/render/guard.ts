// The egress guard (issue 12): fail closed whatever another program does to our iptables chains,
// sets, ip rules or routes. An nftables table of our own, hooked at postrouting after every NAT
// (priority 300 > srcnat 100), sees each packet with the source it actually leaves with, which no
// iptables table can (the last iptables hook at postrouting is nat itself). Nobody inserts rules
// ahead of ours there, and `iptables -F`/`-t nat -F` do not reach it. It drops:
//  - director: a packet with one of our marks that was source-NATed (a MASQUERADE inserted ahead
//    of our SKIP, our SKIP flushed) or that is not leaving through our route (our ip rule or route
//    table gone: the main table would carry it un-NATed, with the pod IP); a mark whose route is
//    `unreachable` never leaves;
//  - gateway: an unmarked packet of a selected pod (by conntrack's original tuple, so it holds
//    before and after NAT and needs none of our iptables sets) to the policy's destinations that
//    leaves with any source but the egress IP (a MASQUERADE inserted ahead of our SNAT, nat
//    flushed, members removed from our set);
//  - standby (issue 16 §1): a packet that leaves with an egress IP this node stands by for while
//    that IP is not a local address — the SNAT is programmed ahead, the address is the switch. A
//    packet reaches a standby only through a director's stale ARP entry or route; it is dropped, as
//    the leak guard drops it where nothing stands by. The IPs held here get no such rule: a holder
//    whose self-fence withholds its address keeps forwarding (CONTRACTS).
// The table is replaced whole in one `nft -f` transaction; a chain no packet enters holds one rule
// whose comment is a hash of the text (`nft -j` shows rule comments, not table comments), so a read
// tells whether the table is current. Pure text; kernel/linux-guard.ts applies it.
import { createHash } from 'node:crypto';
import type { NodeState } from '../desired/types.js';
import { orderByRoute } from './order.js';
import { canonicalCIDR, hex, isEverywhere, snatEntries } from './state.js';
import type { GuardIntent, RenderConfig } from './types.js';

/** nftables table (of the `ip` family, or `ip6` for the IPv6 state), e.g. `segress_guard`. */
export function guardTable(cfg: Pick<RenderConfig, 'ipsetPrefix'>): string {
  return `${cfg.ipsetPrefix}_guard`;
}

/** After srcnat (100): the source the packet leaves with. */
export const GUARD_PRIORITY = 300;

const anon = (xs: readonly string[]) => (xs.length === 1 ? xs[0]! : `{ ${xs.join(', ')} }`);

/** The nftables words of the state's family: the table family and the address protocol. */
function familyWords(state: Pick<NodeState, 'family'>): { table: string; ip: string } {
  return state.family === 6 ? { table: 'ip6', ip: 'ip6' } : { table: 'ip', ip: 'ip' };
}

function directorRules(state: NodeState, t: string): string[] {
  const ip = familyWords(state).ip;
  const lines: string[] = [];
  const verdicts: string[] = [];
  for (const d of state.director) {
    if (d.route.kind === 'unreachable') {
      verdicts.push(`${hex(d.mark)} : drop`);
      continue;
    }
    const chain = `d-${hex(d.mark).slice(2)}`;
    verdicts.push(`${hex(d.mark)} : jump ${chain}`);
    lines.push(
      `add chain ${t} ${chain}`,
      `add rule ${t} ${chain} ct status snat drop`,
      `add rule ${t} ${chain} rt ${ip} nexthop != ${d.route.via} drop`,
      ...tunnelMarkClear(state, d, t, chain),
    );
  }
  if (verdicts.length) lines.push(`add rule ${t} out meta mark & ${hex(state.markMask)} vmap { ${verdicts.join(', ')} }`);
  return lines;
}

// Per (entry, destination) in state.routes' order (order.ts), like the SNAT rules: a pod in the sets
// of several policies is held to the egress IP of the one its packet resolves to. Where a later rule
// shares pods with this one, a packet that leaves right is accepted here so the later rule never
// sees it. Marked packets are the director rules' business (a pod redirected for another policy).
function gatewayRules(state: NodeState, t: string): string[] {
  const ip = familyWords(state).ip;
  const cluster = state.clusterCIDRs.map(canonicalCIDR).filter((c) => !isEverywhere(c));
  const ordered = orderByRoute(state.routes, snatEntries(state).filter((g) => g.podIPs.length));
  return ordered.flatMap(({ entry: g, cidr }, i) => {
    const not = [...cluster, ...g.excludedCIDRs.map(canonicalCIDR)];
    const daddr = isEverywhere(cidr) ? '' : ` ct original ${ip} daddr ${cidr}`;
    const except = not.length ? ` ct original ${ip} daddr != ${anon(not)}` : '';
    const match = `add rule ${t} out meta mark & ${hex(state.markMask)} == 0x0 ct direction original ct original ${ip} saddr ${anon(g.podIPs)}${daddr}${except}`;
    const pods = new Set(g.podIPs);
    const shared = ordered.slice(i + 1).some((x) => x.entry.podIPs.some((ip) => pods.has(ip)));
    return [`${match} ${ip} saddr != ${g.egressIP} drop`, ...(shared ? [`${match} accept`] : [])];
  });
}

/** Standby IPs leave only once they are local (the takeover's address add); before any accept of gatewayRules. */
function standbyRules(state: NodeState, t: string): string[] {
  const ip = familyWords(state).ip;
  return (state.standby ?? []).map((g) => `add rule ${t} out ${ip} saddr ${g.egressIP} fib saddr type != local drop`);
}

/**
 * IPv6 into the IPv6 state's tunnel (render/vxlan.ts): once checked, the packet leaves without our
 * mark. The VXLAN device encapsulates the skb as it is, so the outer packet would carry the mark into
 * its own route lookup — over an IPv6 underlay our rule sends it back into the tunnel (an IPv6
 * lookup with a source address ignores the fdb's `via` device), over IPv4 another family's slot of
 * the same mark may claim it — and into the guard, whose next-hop check it cannot pass.
 */
function tunnelMarkClear(state: NodeState, d: NodeState['director'][number], t: string, chain: string): string[] {
  if (state.family !== 6 || d.route.kind !== 'vxlan') return [];
  return [`add rule ${t} ${chain} meta mark set meta mark & ${hex(~state.markMask >>> 0)}`];
}

/** The whole guard as one `nft -f` batch: the table is created, dropped and filled anew. */
export function renderGuard(state: NodeState, cfg: Pick<RenderConfig, 'ipsetPrefix'>): GuardIntent {
  const name = guardTable(cfg);
  const t = `${familyWords(state).table} ${name}`;
  const body = [
    `add chain ${t} out { type filter hook postrouting priority ${GUARD_PRIORITY}; policy accept; }`,
    ...directorRules(state, t),
    ...standbyRules(state, t),
    ...gatewayRules(state, t),
  ];
  const hash = createHash('sha256').update(body.join('\n')).digest('hex').slice(0, 16);
  const table = `add table ${t}`;
  const text = [table, `delete table ${t}`, table, ...body, `add chain ${t} ${HASH_CHAIN}`, `add rule ${t} ${HASH_CHAIN} counter comment "${hash}"`].join('\n') + '\n';
  return { table: name, hash, rules: body.filter((l) => l.startsWith('add rule ')).length, text };
}

/** The chain that only carries the hash. */
const HASH_CHAIN = 'hash';

/** What `nft -j list table` says of the guard: the hash it was written with and how many rules it holds (beside the hash). */
export function parseGuardListing(json: string): { hash: string; rules: number } {
  const items = (JSON.parse(json) as { nftables?: Record<string, { chain?: string; comment?: string }>[] }).nftables ?? [];
  const rules = items.map((i) => i.rule).filter((r) => r !== undefined);
  const tag = rules.find((r) => r.chain === HASH_CHAIN);
  return { hash: tag?.comment ?? '', rules: rules.length - (tag ? 1 : 0) };
}
