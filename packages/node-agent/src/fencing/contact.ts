// What one authenticated manager probe grants (issue 16 §2, pure). The kernel lease and the fence
// have different lateness budgets: the lease may run only as long as the manager counts on (the
// probe's send + lease + late tolerance; it moves the IP after that), so a late probe renews it for
// less, and one later than the whole budget not at all; the fence — whether the addresses stay on the
// uplink — forgives a probe up to the whole window late, so an agent that waited for a core keeps its
// addresses and only its ARP lease lapses (then continued at the next probe of the same run, fence.ts).
// A probe that does not vouch (the manager suspects the node: a slow answer, a lost probe) renews no
// lease, but if it carries the run that last vouched it still shows that nothing moved: the fence
// counts it (fence.ts checks the run).

/** A manager's contact as the fence takes it. */
export interface Contact {
  /** the kernel lease this probe renews, ms from now (0: none) */
  leaseMs: number;
  /** how long it keeps the node unfenced, ms from now (0: no contact) */
  fenceMs: number;
  /** the manager's run for this node (probe-auth): the same run means no verdict came between two probes */
  run?: string;
  /** the probe vouched for the node (default true); one that does not only keeps the fence, in the same run */
  vouching?: boolean;
}

export interface ContactBudgets {
  /** the kernel lease a timely probe grants */
  leaseMs: number;
  /** how much later than the fastest recent probe one may arrive and still renew the lease */
  lateToleranceMs: number;
  /** the self-fencing window: a probe up to this late is still contact for the fence */
  windowMs: number;
}

/**
 * The grants of one probe that arrived `latenessMs` later than the fastest recent ones. A probe that
 * does not vouch renews no lease; with a run it may keep the fence (if its run is the one that last
 * vouched), without one it grants nothing.
 */
export function computeContact(probe: { latenessMs: number; renew: boolean; run?: string | undefined }, b: ContactBudgets): Contact {
  const fenceMs = Math.max(0, b.windowMs - probe.latenessMs);
  const run = probe.run === undefined ? {} : { run: probe.run };
  if (!probe.renew) return probe.run === undefined ? { leaseMs: 0, fenceMs: 0 } : { leaseMs: 0, fenceMs, ...run, vouching: false };
  const leaseMs = Math.max(0, Math.min(b.leaseMs, b.leaseMs + b.lateToleranceMs - probe.latenessMs));
  return { leaseMs, fenceMs, ...run };
}
