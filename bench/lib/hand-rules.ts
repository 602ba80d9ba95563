// Pure: the hand-written minimal rule set of DESIGN §6, for one pod that no policy selects, written
// the way a person would (no ipset, one source match). It lives outside every range the node-agent
// owns — chain names carry the lab's run prefix (not SEGRESS-), fwmark bit 0x100 (the agent's mask is
// 0x00ff0000), ip rule priority and table 4000 (the agent's range is 5000-5999), and the egress
// address carries no label (the agent only removes addresses labelled as its own) — so the agent
// neither sees nor fights it. Either family (issue 11 §5): an IPv6 pod's rules are the same text for
// ip6tables-restore and `ip -6 -batch` (a /128 source match).
import { ipFamilyOf } from '@static-egress/crds';
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

/** The pod's address as a host prefix of its family. */
const host = (ip: string) => `${ip}/${ipFamilyOf(ip) === 6 ? 128 : 32}`;

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
      `-A ${markChain} -s ${host(o.podIP)} -d ${o.dstCIDR} -j MARK --set-xmark ${mark}/${mark}`,
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
    `-A ${chain} -s ${host(o.podIP)} -d ${o.dstCIDR} -j SNAT --to-source ${o.egressIP}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** VXLAN mode (DESIGN §6): our own device per node, outside the agent's and the CNI's VNI, port and names. */
export interface HandVxlanOptions {
  prefix: string;
  /** This node's LAN address (the tunnel's local end). */
  localIP: string;
  uplink: string;
  /** This node's VTEP MAC (static, so peers need no learning). */
  mac: string;
  /** Device MTU: the uplink's minus the 50 bytes of VXLAN over IPv4. */
  mtu: number;
  vni?: number;
  port?: number;
}

export const handVxlanDevice = (prefix: string): string => `${prefix}hv`;

/** The device: `ip -batch` lines and the sysctl that lets decapsulated pod packets in (rp_filter=2). */
export function renderHandVxlanDevice(o: HandVxlanOptions): { ip: string[]; sysctl: Record<string, string> } {
  const dev = handVxlanDevice(o.prefix);
  return {
    ip: [
      `link add ${dev} address ${o.mac} type vxlan id ${o.vni ?? 4242} dstport ${o.port ?? 4798} local ${o.localIP} dev ${o.uplink} nolearning`,
      `link set ${dev} mtu ${o.mtu}`,
      `link set ${dev} up`,
      // loose rp_filter drops everything arriving on a device without an IPv4 address
      `address add ${o.localIP}/32 dev ${dev} noprefixroute`,
    ],
    sysctl: { [`net.ipv4.conf.${dev}.rp_filter`]: '2' },
  };
}

/**
 * Director over VXLAN: the same mark and masquerade skip as direct mode; the table routes onlink via
 * the gateway node's address over our device (static neighbour + fdb `via` the uplink, or the outer
 * packet inherits the mark and loops into the tunnel); TCP MSS clamped on the way into the tunnel.
 */
export function renderHandVxlanDirector(o: Omit<HandRuleOptions, 'egressIP'> & { gatewayIP: string; gatewayMac: string }):
  { iptables: string; ip: string[]; bridge: string[] } {
  const { mark, table, priority } = defaults({ ...o, egressIP: '' });
  const dev = handVxlanDevice(o.prefix);
  const direct = renderHandDirector({ ...o, egressIP: o.gatewayIP });
  const mss = `${o.prefix}-BMSS`;
  return {
    // chains declared first, then rules, in the mangle table
    iptables: direct.iptables.replace('*mangle\n', `*mangle\n:${mss} - [0:0]\n`).replace('COMMIT\n*nat',
      `-I FORWARD 1 -j ${mss}\n-A ${mss} -o ${dev} -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu\nCOMMIT\n*nat`),
    ip: [
      `rule add fwmark ${mark}/${mark} lookup ${table} priority ${priority}`,
      `neigh replace ${o.gatewayIP} lladdr ${o.gatewayMac} dev ${dev} nud permanent`,
      `route replace default via ${o.gatewayIP} dev ${dev} onlink table ${table}`,
    ],
    bridge: [`fdb append ${o.gatewayMac} dev ${dev} dst ${o.gatewayIP} via ${o.uplink}`],
  };
}
