// Packet counters from our rules: per egress IP (the gateway's FORWARD accept rules, which see every
// packet, unlike nat rules that see a connection's first one) and fail-closed drops.
import type { IptablesRestorer } from '../kernel/interfaces.js';
import { FAILCLOSED_COMMENT, hexIP } from '../render/names.js';
import { parseIptablesCounters } from '../render/parse.js';

export interface EgressCounters {
  perEgressIP: Record<string, { packets: number; bytes: number }>;
  failClosed: { packets: number; bytes: number };
}

export function computeEgressCounters(saveWithCounters: string, chainPrefix: string): EgressCounters {
  const out: EgressCounters = { perEgressIP: {}, failClosed: { packets: 0, bytes: 0 } };
  const fwdEntry = new RegExp(`^${chainPrefix}-F-([0-9A-F]{8})$`);
  for (const c of parseIptablesCounters(saveWithCounters, chainPrefix)) {
    const m = fwdEntry.exec(c.chain);
    if (c.table === 'filter' && m && c.rule.endsWith(' -j ACCEPT')) {
      const ip = hexIP(m[1]!.toLowerCase());
      const e = (out.perEgressIP[ip] ??= { packets: 0, bytes: 0 });
      e.packets += c.packets;
      e.bytes += c.bytes;
    } else if (c.table === 'mangle' && c.rule.endsWith(`--comment ${FAILCLOSED_COMMENT}`)) {
      out.failClosed.packets += c.packets;
      out.failClosed.bytes += c.bytes;
    }
  }
  return out;
}

export async function readEgressCounters(iptables: IptablesRestorer, chainPrefix: string): Promise<EgressCounters> {
  return computeEgressCounters(await iptables.save({ counters: true }), chainPrefix);
}
