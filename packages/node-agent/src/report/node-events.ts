// Events on this agent's Node (issue 12): another program keeps damaging our kernel state. The one
// Event the agent writes; everything else it reports is the StaticEgressNode status.
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
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
  private readonly api: CoreV1Api;
  private seq = 0;
  constructor(kc: KubeConfig, private readonly node: string, private readonly uid: () => string | undefined, private readonly now: () => number = Date.now) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async damageRepeated(kind: HealKind, repeats: number): Promise<void> {
    const t = new Date(this.now());
    const body: CoreV1Event = {
      metadata: { name: `${this.node}.${t.getTime().toString(16)}${(this.seq++ % 4096).toString(16).padStart(3, '0')}`, namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: this.node, uid: this.uid() },
      reason: DAMAGE_REPEATED_REASON,
      message: damageRepeatedMessage(kind, repeats),
      type: 'Warning',
      source: { component: EVENT_SOURCE_AGENT, host: this.node },
      reportingComponent: EVENT_SOURCE_AGENT,
      reportingInstance: this.node,
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
    };
    await this.api.createNamespacedEvent({ namespace: 'default', body });
  }
}
