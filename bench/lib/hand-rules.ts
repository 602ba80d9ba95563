// Pure: the hand-written minimal rule set of DESIGN §6, for one pod that no policy selects, written
// the way a person would (no ipset, one source match). It lives outside every range the node-agent
// owns — chain names carry the lab's run prefix (not SEGRESS-), fwmark bit 0x100 (the agent's mask is
// 0x00ff0000), ip rule priority and table 4000 (the agent's range is 5000-5999), and the egress
// address carries no label (the agent only removes addresses labelled as its own) — so the agent
// neither sees nor fights it.
export interface HandRuleOptions {
  /** The lab's run prefix (chains are named `<prefix>-B…`). */
  prefix: string;
  podIP: string;
  dstCIDR: string;
  egressIP: string;
  /** The director's uplink (for `default via <egressIP> onlink`). */
  uplink: string;
  mark?: string;
  table?: number;
  priority?: number;
}

const defaults = (o: HandRuleOptions) => ({ mark: o.mark ?? '0x100', table: o.table ?? 4000, priority: o.priority ?? 4000 });

/** Director (the pod's node): mark in PREROUTING, skip the node masquerade, policy-route to the egress IP. */
export function renderHandDirector(o: HandRuleOptions): { iptables: string; ip: string[] } {
  const { mark, table, priority } = defaults(o);
  const markChain = `${o.prefix}-BMARK`, skipChain = `${o.prefix}-BSKIP`;
  return {
    iptables: [
      '*mangle',
      `:${markChain} - [0:0]`,
      `-I PREROUTING 1 -j ${markChain}`,
      `-A ${markChain} -s ${o.podIP}/32 -d ${o.dstCIDR} -j MARK --set-xmark ${mark}/${mark}`,
      'COMMIT',
      '*nat',
      `:${skipChain} - [0:0]`,
      `-I POSTROUTING 1 -j ${skipChain}`,
      `-A ${skipChain} -m mark --mark ${mark}/${mark} -j ACCEPT`,
      'COMMIT',
      '',
    ].join('\n'),
    ip: [
      `rule add fwmark ${mark}/${mark} lookup ${table} priority ${priority}`,
      `route replace default via ${o.egressIP} dev ${o.uplink} onlink table ${table}`,
    ],
  };
}

/** Gateway: SNAT to the egress IP ahead of the node masquerade (the address itself is added separately). */
export function renderHandGateway(o: Pick<HandRuleOptions, 'prefix' | 'podIP' | 'dstCIDR' | 'egressIP'>): string {
  const chain = `${o.prefix}-BSNAT`;
  return [
    '*nat',
    `:${chain} - [0:0]`,
    `-I POSTROUTING 1 -j ${chain}`,
    `-A ${chain} -s ${o.podIP}/32 -d ${o.dstCIDR} -j SNAT --to-source ${o.egressIP}`,
    'COMMIT',
    '',
  ].join('\n');
}
