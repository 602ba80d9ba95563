// The leader's writes for namespace opt-in IPAM: the managed StaticEgressIP (server-side apply), the
// allocated-ips annotation on the Namespace (merge patch), and Events on the Namespace.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { CoreEventWriter } from '@static-egress/controller-kit';
import {
  API_VERSION, EVENT_SOURCE_MANAGER, FIELD_MANAGER, GROUP, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_ALLOCATED_IPS_ANNOTATION,
  NAMESPACE_POLICY_NAME, NAMESPACE_POOL_ANNOTATION, SEIP_KIND, SEIP_PLURAL, VERSION,
} from '@static-egress/crds';
import type { NamespaceEvent } from './namespaces.js';

/** Idempotent: applying the same allocation twice, or releasing twice, changes nothing. */
export interface NamespaceIPAMWriter {
  /** Creates or updates the managed StaticEgressIP, then writes the allocation onto the Namespace. */
  applyAllocation(namespace: string, pool: string, ips: readonly string[]): Promise<void>;
  /** Deletes the managed StaticEgressIP (when asked) and removes the allocated-ips annotation. */
  release(namespace: string, deletePolicy: boolean): Promise<void>;
  recordEvent(event: NamespaceEvent): Promise<void>;
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

export class KubeNamespaceIPAM implements NamespaceIPAMWriter {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly events: CoreEventWriter;

  constructor(kc: KubeConfig, instance: string, now?: () => number) {
    this.events = new CoreEventWriter(kc, { component: EVENT_SOURCE_MANAGER, instance }, now);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async applyAllocation(namespace: string, pool: string, ips: readonly string[]): Promise<void> {
    // Ownerless on purpose: the allocation must outlive anything but the annotation (and the namespace).
    const body = {
      apiVersion: API_VERSION, kind: SEIP_KIND,
      metadata: { name: NAMESPACE_POLICY_NAME, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, annotations: { [NAMESPACE_POOL_ANNOTATION]: pool } },
      spec: { egressIPs: [...ips] },
    };
    await this.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: SEIP_PLURAL, name: NAMESPACE_POLICY_NAME, body, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    await this.annotate(namespace, ips.join(','));
  }

  async release(namespace: string, deletePolicy: boolean): Promise<void> {
    if (deletePolicy) {
      try {
        await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: SEIP_PLURAL, name: NAMESPACE_POLICY_NAME });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    }
    await this.annotate(namespace, null);
  }

  async recordEvent(e: NamespaceEvent): Promise<void> {
    // a Namespace's Events live in it, and the apiserver wants involvedObject.namespace to say so
    await this.events.create({
      namespace: e.namespace,
      involvedObject: { apiVersion: 'v1', kind: 'Namespace', name: e.namespace, namespace: e.namespace, uid: e.uid },
      reason: e.reason, message: e.message, type: e.type,
    });
  }

  private async annotate(namespace: string, value: string | null): Promise<void> {
    try {
      await this.core.patchNamespace(
        { name: namespace, body: { metadata: { annotations: { [NAMESPACE_ALLOCATED_IPS_ANNOTATION]: value } } }, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!notFound(err)) throw err; // the namespace is gone: nothing to write back
    }
  }
}
