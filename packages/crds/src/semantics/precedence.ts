// Which of two policies that select the same pod, at the same destination specificity, owns its
// traffic (issue 9; the rule is argued in docs/CONTRACTS.md, "Cluster-wide policies"):
//   1. a StaticEgressIP of the pod's own namespace before a ClusterStaticEgressIP — the namespace's
//      owner asked for it explicitly, and it can only name IPs a pool admits for that namespace, so
//      the cluster admin keeps the last word through the pools;
//   2. then the older (comparePolicyAge: creationTimestamp, then namespace, then name).
// Contested egress IPs are a different question and stay with the older claim whatever the scope
// (authorizeEgressIPs): an IP in use never moves to a newcomer.
import { comparePolicyAge } from './age.js';
import type { Policy } from './types.js';

type Ranked = Pick<Policy, 'createdAt' | 'namespace' | 'name' | 'scope'>;

/** Negative when `a` takes precedence over `b`. A total order: deterministic in any input order. */
export function comparePolicyPrecedence(a: Ranked, b: Ranked): number {
  const sa = a.scope === 'Cluster' ? 1 : 0;
  const sb = b.scope === 'Cluster' ? 1 : 0;
  if (sa !== sb) return sa - sb;
  return comparePolicyAge(a, b);
}
