// One informer per watched resource, cluster-wide (a gateway SNATs pods of every node).
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type V1Namespace, type V1Node, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { createInformer, createInformerMetrics, type Informer, type Logger } from '@static-egress/controller-kit';
import { GROUP, POOL_PLURAL, SEIP_PLURAL, VERSION, type EgressIPPool, type StaticEgressIP } from '@static-egress/crds';
import type { Registry } from 'prom-client';
import type { ClusterSnapshot } from './inputs.js';

export interface AgentSources {
  policies: Informer<StaticEgressIP>;
  pools: Informer<EgressIPPool>;
  pods: Informer<V1Pod>;
  nodes: Informer<V1Node>;
  services: Informer<V1Service>;
  namespaces: Informer<V1Namespace>;
}

export function createAgentSources(kc: KubeConfig, logger: Logger, registry: Registry): AgentSources {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crPath = (plural: string) => `/apis/${GROUP}/${VERSION}/${plural}`;
  const listCR = <T>(plural: string) => () =>
    custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<KubernetesListObject<T & { metadata?: object }>>;
  const common = (name: string) => ({ kc, name, logger, metrics: createInformerMetrics(registry, name) });
  return {
    policies: createInformer<StaticEgressIP>({ ...common(SEIP_PLURAL), path: crPath(SEIP_PLURAL), listFn: listCR<StaticEgressIP>(SEIP_PLURAL) }),
    pools: createInformer<EgressIPPool>({ ...common(POOL_PLURAL), path: crPath(POOL_PLURAL), listFn: listCR<EgressIPPool>(POOL_PLURAL) }),
    pods: createInformer({ ...common('pods'), path: '/api/v1/pods', listFn: () => core.listPodForAllNamespaces() }),
    nodes: createInformer({ ...common('nodes'), path: '/api/v1/nodes', listFn: () => core.listNode() }),
    services: createInformer({ ...common('services'), path: '/api/v1/services', listFn: () => core.listServiceForAllNamespaces() }),
    namespaces: createInformer({ ...common('namespaces'), path: '/api/v1/namespaces', listFn: () => core.listNamespace() }),
  };
}

export function snapshotOf(s: AgentSources): ClusterSnapshot {
  return {
    policies: s.policies.list(), pools: s.pools.list(), pods: s.pods.list(), nodes: s.nodes.list(),
    services: s.services.list(), namespaces: s.namespaces.list(),
  };
}
