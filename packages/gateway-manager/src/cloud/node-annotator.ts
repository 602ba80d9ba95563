// Writes the capacity annotation (ipconfig.ts) on a Node, with our writer mark beside it, by a merge
// patch of metadata.annotations only. Idempotent.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '@static-egress/crds';
import { EGRESS_IPCONFIG_ANNOTATION, IPCONFIG_WRITER, IPCONFIG_WRITER_ANNOTATION } from './ipconfig.js';

export interface NodeAnnotator {
  applyEgressIPConfig(node: string, value: string): Promise<void>;
}

export class KubeNodeAnnotator implements NodeAnnotator {
  private readonly api: CoreV1Api;
  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async applyEgressIPConfig(node: string, value: string): Promise<void> {
    const body = { metadata: { annotations: { [EGRESS_IPCONFIG_ANNOTATION]: value, [IPCONFIG_WRITER_ANNOTATION]: IPCONFIG_WRITER } } };
    try {
      await this.api.patchNode({ name: node, body, fieldManager: FIELD_MANAGER }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
