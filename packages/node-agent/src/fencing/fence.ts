// Self-fencing (DESIGN §5): a gateway that has heard from neither the API server nor the manager's
// probe for longer than the window drops its egress addresses, so a partitioned node stops
// answering ARP for IPs that have moved; contact restores them.
import type { Clock } from '@static-egress/controller-kit';

export type ContactSource = 'apiserver' | 'manager';

export class Fence {
  private lastContact: number;
  constructor(private readonly clock: Clock, readonly windowMs: number) {
    this.lastContact = clock.now();
  }
  contact(_source: ContactSource): void {
    this.lastContact = this.clock.now();
  }
  isFenced(): boolean {
    return this.clock.now() - this.lastContact > this.windowMs;
  }
  /** ms until isFenced() can next turn true (0 if already). */
  msUntilFence(): number {
    return Math.max(0, this.lastContact + this.windowMs - this.clock.now() + 1);
  }
}

/** A probe counts as the manager's when it does not come from this host. */
export function isRemoteProbe(remoteAddress: string | undefined, localIPs: ReadonlySet<string>): boolean {
  if (!remoteAddress) return false;
  const ip = remoteAddress.replace(/^::ffff:/, '');
  return !(ip === '::1' || ip.startsWith('127.') || localIPs.has(ip));
}
