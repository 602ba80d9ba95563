// One LeaseTable over both families' kernel leases (issue 11): the lease keeper renews, and
// self-fencing ends, the leases of the node's egress IPs without knowing their family; each IP goes
// to its own family's table (the ARP guard, or the IPv6 neighbour-advertisement guard). The IPv6
// table is only touched for IPv6 IPs, so an IPv4-only node never creates it.
import { ipFamilyOf } from '@static-egress/crds';
import type { LeaseTable } from '../kernel/interfaces.js';

function split(ips: readonly string[]): [string[], string[]] {
  return [ips.filter((ip) => ipFamilyOf(ip) !== 6), ips.filter((ip) => ipFamilyOf(ip) === 6)];
}

export function familyLeaseTable(v4: LeaseTable, v6: LeaseTable): LeaseTable {
  const both = async (ips: readonly string[], f: (t: LeaseTable, part: string[]) => Promise<void>) => {
    const [a, b] = split(ips);
    await Promise.all([...(a.length ? [f(v4, a)] : []), ...(b.length ? [f(v6, b)] : [])]);
  };
  return {
    async ensure(owned) {
      const [a, b] = split(owned);
      await Promise.all([v4.ensure(a), ...(b.length ? [v6.ensure(b)] : [])]); // the ARP guard stands even with nothing owned
    },
    claim: (ips, ms) => both(ips, (t, part) => t.claim(part, ms)),
    async renew(ips, ms) {
      const [a, b] = split(ips);
      const lapsed = await Promise.all([a.length ? v4.renew(a, ms) : [], b.length ? v6.renew(b, ms) : []]);
      return lapsed.flat();
    },
    end: (ips) => both(ips, (t, part) => t.end(part)),
    async read() {
      const [a, b] = await Promise.all([v4.read(), v6.read()]);
      return { guard: a.guard, owned: new Set([...a.owned, ...b.owned]), leased: new Set([...a.leased, ...b.leased]) };
    },
    async remove() { await Promise.all([v4.remove(), v6.remove()]); },
  };
}
