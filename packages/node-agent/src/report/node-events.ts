// Events on this agent's Node (issue 12): another program keeps damaging our kernel state. The one
// Event the agent writes; everything else it reports is the StaticEgressNode status.
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreEventWriter } from '@static-egress/controller-kit';
import { EVENT_SOURCE_AGENT } from '@static-egress/crds';
import type { HealKind } from '../plan/damage.js';

/** Carries the EgressIP prefix of every Event reason (crds EventReason). */
export const DAMAGE_REPEATED_REASON = 'EgressIPKernelDamageRepeated';

/** The Event's message: what keeps coming back and what the agent does about it. Pure. */
export function damageRepeatedMessage(kind: HealKind, repeats: number): string {
  return `another program keeps changing this node's ${kind} state of static-egress (repaired ${repeats + 1} times in a row); `
    + 'repairs now back off; egress traffic fails closed (dropped) while damaged';
}

export class KubeNodeEvents {
  private readonly events: CoreEventWriter;
  constructor(kc: KubeConfig, private readonly node: string, private readonly uid: () => string | undefined, now?: () => number) {
    this.events = new CoreEventWriter(kc, { component: EVENT_SOURCE_AGENT, instance: node, host: node }, now);
  }

  async damageRepeated(kind: HealKind, repeats: number): Promise<void> {
    await this.events.create({
      namespace: 'default',
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: this.node, uid: this.uid() },
      reason: DAMAGE_REPEATED_REASON, message: damageRepeatedMessage(kind, repeats), type: 'Warning',
    });
  }
}
