// The lab's cloud mode behaves like a VPC (issue 13): what the EC2 API says decides delivery, not ARP.
// Pure: moto's interfaces in, the router's routes and the LAN's source/destination check out.
//   router  every secondary address of an ENI is routed via that ENI's primary address (a /32 beats
//           the connected /24, so no gratuitous ARP or neighbour entry can steer it); every other
//           address of the managed ranges is a blackhole — an address no ENI holds reaches no one.
//   LAN     a bridge-family table: a frame from a node's port whose IPv4 source is not an address of
//           that node's ENI is dropped, and so is one towards a node's port whose destination is not.

/** One ENI as DescribeNetworkInterfaces reports it. */
export interface EniAddresses {
  primary: string;
  secondary: string[];
}

/** address → the primary address of the ENI that holds it (the first one, when moto lets two hold it). */
export function computeDeliveries(enis: readonly EniAddresses[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of [...enis].sort((a, b) => a.primary.localeCompare(b.primary))) {
    for (const s of [...e.secondary].sort()) if (!out.has(s)) out.set(s, e.primary);
  }
  return out;
}

/** `ip -batch` lines taking the router from the routes of `before` to those of `after`. */
export function renderRouterRoutes(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, dev: string): string[] {
  const lines: string[] = [];
  for (const [ip, via] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    if (before.get(ip) !== via) lines.push(`route replace ${ip}/32 via ${via} dev ${dev}`);
  }
  for (const ip of [...before.keys()].sort()) if (!after.has(ip)) lines.push(`route del ${ip}/32`);
  return lines;
}

/** The managed ranges: blackholes, so an address no ENI holds is dropped at the router. */
export function renderRouterBlackholes(managed: readonly string[]): string[] {
  return managed.map((cidr) => `route replace blackhole ${cidr}`);
}

/**
 * The LAN's source/destination check, as one nft transaction replacing the whole table. `ports` maps
 * a node's bridge port to its ENI's addresses; other ports (router, managers) are not ENIs and pass.
 */
export function renderSourceDestCheck(table: string, ports: ReadonlyMap<string, EniAddresses>): string {
  const sets: string[] = [];
  const rules: string[] = [];
  for (const [port, eni] of [...ports].sort(([a], [b]) => a.localeCompare(b))) {
    const set = `eni_${port.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const addrs = [eni.primary, ...[...eni.secondary].sort()];
    sets.push(`  set ${set} {`, '    type ipv4_addr', `    elements = { ${addrs.join(', ')} }`, '  }');
    rules.push(`    iifname "${port}" ip saddr != @${set} counter drop`, `    oifname "${port}" ip daddr != @${set} counter drop`);
  }
  return [
    `add table bridge ${table}`,
    `delete table bridge ${table}`,
    `table bridge ${table} {`,
    ...sets,
    '  chain srcdst {',
    '    type filter hook forward priority -10; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}
