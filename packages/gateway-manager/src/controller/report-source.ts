// The manager's watch on the agents' StaticEgressNode reports (Programmed). Kept apart from the
// cluster sources both daemons share: the agents do not read each other's reports.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import { GROUP, SENODE_PLURAL, VERSION, type StaticEgressNode } from '@static-egress/crds';
import { createInformer, createInformerMetrics, type Informer, type Logger } from '@static-egress/controller-kit';
import type { Registry } from 'prom-client';

export function createNodeReportInformer(kc: KubeConfig, logger: Logger, registry?: Registry): Informer<StaticEgressNode> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  return createInformer<StaticEgressNode>({
    kc, logger, name: SENODE_PLURAL, path: `/apis/${GROUP}/${VERSION}/${SENODE_PLURAL}`,
    listFn: () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: SENODE_PLURAL }) as Promise<KubernetesListObject<StaticEgressNode & { metadata?: object }>>,
    ...(registry ? { metrics: createInformerMetrics(registry, SENODE_PLURAL) } : {}),
  });
}
