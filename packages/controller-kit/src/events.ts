// core/v1 Events, as both daemons write them: a unique name per Event (the involved object's name,
// the time and a sequence), the reporting component and instance, count 1. The manager's policy and
// Namespace Events and the agent's Node Event all go through it.
import { CoreV1Api, type CoreV1Event, type KubeConfig, type V1ObjectReference } from '@kubernetes/client-node';

export interface CoreEvent {
  /** Where the Event lives (a cluster-scoped object's Events go to `default`). */
  namespace: string;
  involvedObject: V1ObjectReference & { name: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
}

/** Pure: the Event object; `seq` makes names unique within one millisecond. */
export function renderCoreEvent(e: CoreEvent, at: Date, seq: number, source: { component: string; instance: string; host?: string }): CoreV1Event {
  return {
    metadata: { name: `${e.involvedObject.name}.${at.getTime().toString(16)}${(seq % 4096).toString(16).padStart(3, '0')}`, namespace: e.namespace },
    involvedObject: e.involvedObject,
    reason: e.reason,
    message: e.message.slice(0, 1024),
    type: e.type,
    source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
    reportingComponent: source.component,
    reportingInstance: source.instance,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

export class CoreEventWriter {
  private readonly api: CoreV1Api;
  private seq = 0;
  constructor(kc: KubeConfig, private readonly source: { component: string; instance: string; host?: string }, private readonly now: () => number = Date.now) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async create(e: CoreEvent): Promise<void> {
    await this.api.createNamespacedEvent({ namespace: e.namespace, body: renderCoreEvent(e, new Date(this.now()), this.seq++, this.source) });
  }
}
