// Packet counters from our rules: per egress IP (the gateway's FORWARD accept rules, which see every
// packet, unlike nat rules that see a connection's first one), fail-closed drops, and leak-guard
// drops per policy.
import type { IptablesRestorer } from '../kernel/interfaces.js';
import { FAILCLOSED_COMMENT_PREFIX, LEAKGUARD_COMMENT_PREFIX, hexIP } from '../render/names.js';
import { parseIptablesCounters } from '../render/parse.js';

export interface PacketCount { packets: number; bytes: number }

export interface EgressCounters {
  perEgressIP: Record<string, PacketCount>;
  /** policy key → packets of its pods counted just before the unreachable route drops them */
  failClosed: Record<string, PacketCount>;
  /** policy key → packets of its pods dropped in FORWARD because they arrived unmarked (leak guard) */
  leakGuard: Record<string, PacketCount>;
}

export function emptyEgressCounters(): EgressCounters {
  return { perEgressIP: {}, failClosed: {}, leakGuard: {} };
}

export function computeEgressCounters(saveWithCounters: string, chainPrefix: string): EgressCounters {
  const out = emptyEgressCounters();
  const fwdEntry = new RegExp(`^${chainPrefix}-F-([0-9A-F]{8})$`);
  const guardEntry = new RegExp(`^${chainPrefix}-L-[0-9A-F]+$`);
  const guardComment = new RegExp(`--comment "?${LEAKGUARD_COMMENT_PREFIX}([^" ]+)"? -j DROP$`);
  const failComment = new RegExp(`--comment "?${FAILCLOSED_COMMENT_PREFIX}([^" ]+)"?$`);
  const add = (to: PacketCount, c: PacketCount) => { to.packets += c.packets; to.bytes += c.bytes; };
  for (const c of parseIptablesCounters(saveWithCounters, chainPrefix)) {
    const m = fwdEntry.exec(c.chain);
    const g = c.table === 'filter' && guardEntry.test(c.chain) ? guardComment.exec(c.rule) : null;
    if (c.table === 'filter' && m && c.rule.endsWith(' -j ACCEPT')) {
      add(out.perEgressIP[hexIP(m[1]!.toLowerCase())] ??= { packets: 0, bytes: 0 }, c);
    } else if (g) {
      add(out.leakGuard[g[1]!] ??= { packets: 0, bytes: 0 }, c);
    } else if (c.table === 'mangle') {
      const f = failComment.exec(c.rule);
      if (f) add(out.failClosed[f[1]!] ??= { packets: 0, bytes: 0 }, c);
    }
  }
  return out;
}

export async function readEgressCounters(iptables: IptablesRestorer, chainPrefix: string): Promise<EgressCounters> {
  return computeEgressCounters(await iptables.save({ counters: true }), chainPrefix);
}
