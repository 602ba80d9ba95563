import { compareIPs } from '@static-egress/crds';

/** Distinct addresses in numeric order. */
export function sortIPs(ips: Iterable<string>): string[] {
  return [...new Set(ips)].sort(compareIPs);
}
