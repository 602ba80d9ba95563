// Planned moves (issue 16 §3): an IP taken from a live node goes to its next holder only once that
// node's agent reports it gone (pass.ts, confirmReleases). Without a pass as soon as the report
// arrives, the move waited for the release requeue (--release-grace, 2 s) and the address was
// answered by nobody meanwhile. Pure: decides whether a probe's report is such news.
import type { ManagerMemory } from './pass.js';

/** The node's report no longer holds an IP this leader is waiting for it to release. */
export function computeReleaseObserved(memory: ManagerMemory, node: string, held: ReadonlySet<string>): boolean {
  for (const [ip, r] of memory.releasing) if (r.node === node && !held.has(ip)) return true;
  return false;
}
