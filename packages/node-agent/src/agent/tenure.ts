// Which egress IPs keep their flows across an address drop (issue 11/16: restarts (f)). The self-fence
// withholds the addresses of IPs the API still assigns here (no vouching probe for the fence window:
// a leader change, a stall); when contact returns they are added back. Their conntrack entries are the
// same tenure's: forgetting them on the drop or on the re-add loses the replies in flight and moves a
// flow's source port (a TCP connection would break). An IP the API stopped naming here is a
// release: its flows go as before, and when it comes back it is a new tenure. Pure.
import type { NodeState } from '../desired/types.js';

/** Assigned here (a gateway entry) but not held: withheld by the fence (or held back until confirmed). */
export function withheldIPs(state: Pick<NodeState, 'gateway' | 'addresses'>): Set<string> {
  const held = new Set(state.addresses);
  return new Set(state.gateway.map((g) => g.egressIP).filter((ip) => !held.has(ip)));
}

/** IPs assigned here now that are withheld now or were in the previous pass: their flows stay. */
export function flowsToKeep(previous: Pick<NodeState, 'gateway' | 'addresses'> | null, state: Pick<NodeState, 'gateway' | 'addresses'>): Set<string> {
  const keep = withheldIPs(state);
  if (previous) {
    const assigned = new Set(state.gateway.map((g) => g.egressIP));
    for (const ip of withheldIPs(previous)) if (assigned.has(ip)) keep.add(ip);
  }
  return keep;
}
