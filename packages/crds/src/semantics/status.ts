import type { EgressIPAssignment } from '../generated/types.js';

/**
 * status.nodes for a list of assignments: each node once, in assignment order. kubectl's Nodes
 * column reads it, because server-side printing shows only the first match of `assignments[*].node`.
 */
export function computeStatusNodes(assignments: readonly EgressIPAssignment[]): string[] {
  return [...new Set(assignments.map((a) => a.node))];
}
