import type { Policy } from './types.js';

/**
 * Orders policies oldest first: creationTimestamp, then namespace, then name. The older policy wins
 * a contested egress IP or pod. Negative when `a` is older.
 */
export function comparePolicyAge(
  a: Pick<Policy, 'createdAt' | 'namespace' | 'name'>,
  b: Pick<Policy, 'createdAt' | 'namespace' | 'name'>,
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}
