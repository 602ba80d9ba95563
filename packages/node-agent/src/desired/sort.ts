import { sortByIP } from '@static-egress/crds';

/** Distinct addresses in numeric order (each parsed once). */
export function sortIPs(ips: Iterable<string>): string[] {
  return sortByIP([...new Set(ips)], (ip) => ip);
}
