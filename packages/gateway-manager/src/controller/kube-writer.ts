// The manager's only writes to the API: status through the status subresource, and core/v1 Events.
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  CSEIP_KIND,
  CSEIP_PLURAL,
  EVENT_SOURCE_MANAGER,
  FIELD_MANAGER,
  GROUP,
  POOL_PLURAL,
  SEIP_KIND,
  SEIP_PLURAL,
  VERSION,
  type EgressIPPoolStatus,
  type StaticEgressIPStatus,
} from '@static-egress/crds';
import { CoreEventWriter } from '@static-egress/controller-kit';
import type { PolicyEvent } from './status.js';

export interface PolicyRef {
  /** '' for a ClusterStaticEgressIP (its status is cluster-scoped; its Events go to `default`). */
  namespace: string;
  name: string;
  uid: string;
}

/** Writes a policy's or a pool's status. Idempotent: the same status written twice changes nothing. */
export interface StatusWriter {
  applyPolicyStatus(ref: PolicyRef, status: StaticEgressIPStatus): Promise<void>;
  applyPoolStatus(name: string, status: EgressIPPoolStatus): Promise<void>;
}

/** Records an Event about a policy. */
export interface EventRecorder {
  applyEvent(ref: PolicyRef, event: PolicyEvent): Promise<void>;
}

/** Merge patch on `/status` (JSON merge patch replaces lists whole, which is what we want). */
export class KubeStatusWriter implements StatusWriter {
  private readonly api: CustomObjectsApi;
  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async applyPolicyStatus(ref: PolicyRef, status: StaticEgressIPStatus): Promise<void> {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const common = { group: GROUP, version: VERSION, name: ref.name, body: { status }, fieldManager: FIELD_MANAGER };
    try {
      if (ref.namespace === '') await this.api.patchClusterCustomObjectStatus({ ...common, plural: CSEIP_PLURAL }, merge);
      else await this.api.patchNamespacedCustomObjectStatus({ ...common, namespace: ref.namespace, plural: SEIP_PLURAL }, merge);
    } catch (err) {
      // Deleted meanwhile: nothing to report on; the informer's delete triggers the next sync.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }

  async applyPoolStatus(name: string, status: EgressIPPoolStatus): Promise<void> {
    try {
      await this.api.patchClusterCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: POOL_PLURAL, name, body: { status }, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

export class KubeEventRecorder implements EventRecorder {
  private readonly events: CoreEventWriter;
  constructor(kc: KubeConfig, instance: string, now?: () => number) {
    this.events = new CoreEventWriter(kc, { component: EVENT_SOURCE_MANAGER, instance }, now);
  }

  async applyEvent(ref: PolicyRef, event: PolicyEvent): Promise<void> {
    // Events about a cluster-scoped object live in `default`, as the apiserver's own do.
    const cluster = ref.namespace === '';
    await this.events.create({
      namespace: cluster ? 'default' : ref.namespace,
      involvedObject: {
        apiVersion: API_VERSION, kind: cluster ? CSEIP_KIND : SEIP_KIND, ...(cluster ? {} : { namespace: ref.namespace }), name: ref.name, uid: ref.uid,
      },
      ...event,
    });
  }
}
