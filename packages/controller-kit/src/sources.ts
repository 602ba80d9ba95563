// The informers both daemons watch, one per resource, cluster-wide (the manager assigns across the
// cluster; a gateway SNATs pods of every node). Not started.
import {
  CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Namespace, type V1Node, type V1Pod, type V1Service,
} from '@kubernetes/client-node';
import {
  CSEIP_PLURAL, GROUP, POOL_PLURAL, SEIP_PLURAL, VERSION, type ClusterSnapshot, type ClusterStaticEgressIP, type EgressIPPool, type StaticEgressIP,
} from '@static-egress/crds';
import type { Registry } from 'prom-client';
import { createInformer, type Informer } from './informer.js';
import type { Logger } from './logger.js';
import { createInformerMetrics } from './metrics.js';
import { listInPages } from './paged-list.js';
import { sameApartFromVersion, slimNamespace, slimNode, slimObject, slimPod, slimPolicyForAgent, slimService } from './slim.js';

export interface ClusterSources {
  policies: Informer<StaticEgressIP>;
  clusterPolicies: Informer<ClusterStaticEgressIP>;
  pools: Informer<EgressIPPool>;
  nodes: Informer<V1Node>;
  pods: Informer<V1Pod>;
  services: Informer<V1Service>;
  namespaces: Informer<V1Namespace>;
}

export interface ClusterSourcesOptions {
  /** 'assignments': policies' status conditions are not kept (the agents act on assignments only). Default 'full'. */
  policyStatus?: 'full' | 'assignments';
}

export function createClusterSources(kc: KubeConfig, logger: Logger, registry?: Registry, opts: ClusterSourcesOptions = {}): ClusterSources {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crPath = (plural: string) => `/apis/${GROUP}/${VERSION}/${plural}`;
  // in pages as the core lists (10,000 policies are ≈ 15 MB of JSON in one response, and V8 keeps that peak)
  const listCR = <T extends KubernetesObject>(plural: string, transform: (o: T) => T) => () => listInPages<T>(async (p) => {
    const page = await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, ...p });
    return customListPage<T>(page as CustomListPage<T>);
  }, transform);
  // an update that reads the same after the slim transform (a dropped status condition, a heartbeat) fires no event
  // every list below is listInPages with the informer's own transform: each object is slimmed once
  const common = (name: string) => ({ kc, name, logger, unchanged: sameApartFromVersion, listTransformed: true, ...(registry ? { metrics: createInformerMetrics(registry, name) } : {}) });
  const slimPolicy = opts.policyStatus === 'assignments' ? slimPolicyForAgent : slimObject;
  return {
    policies: createInformer<StaticEgressIP>({ ...common(SEIP_PLURAL), path: crPath(SEIP_PLURAL), listFn: listCR<StaticEgressIP>(SEIP_PLURAL, slimPolicy), transform: slimPolicy }),
    clusterPolicies: createInformer<ClusterStaticEgressIP>({
      ...common(CSEIP_PLURAL), path: crPath(CSEIP_PLURAL), listFn: listCR<ClusterStaticEgressIP>(CSEIP_PLURAL, slimPolicy), transform: slimPolicy,
    }),
    pools: createInformer<EgressIPPool>({ ...common(POOL_PLURAL), path: crPath(POOL_PLURAL), listFn: listCR<EgressIPPool>(POOL_PLURAL, slimObject), transform: slimObject }),
    nodes: createInformer({ ...common('nodes'), path: '/api/v1/nodes', listFn: () => listInPages((p) => core.listNode(p), slimNode), transform: slimNode }),
    pods: createInformer({ ...common('pods'), path: '/api/v1/pods', listFn: () => listInPages((p) => core.listPodForAllNamespaces(p), slimPod), transform: slimPod }),
    services: createInformer({ ...common('services'), path: '/api/v1/services', listFn: () => listInPages((p) => core.listServiceForAllNamespaces(p), slimService),
      transform: slimService }),
    namespaces: createInformer({ ...common('namespaces'), path: '/api/v1/namespaces', listFn: () => listInPages((p) => core.listNamespace(p), slimNamespace), transform: slimNamespace }),
  };
}

type CustomListPage<T extends KubernetesObject> = Omit<KubernetesListObject<T>, 'metadata'> & { metadata?: { resourceVersion?: string; continue?: string } };

/** A custom objects' list page (raw JSON: `metadata.continue`) as listInPages reads one (`_continue`). */
export function customListPage<T extends KubernetesObject>(page: CustomListPage<T>): KubernetesListObject<T> {
  const { continue: cont, ...meta } = page.metadata ?? {};
  return { ...page, metadata: { ...meta, ...(cont ? { _continue: cont } : {}) } };
}

/** The caches' contents now, for parseClusterView. */
export function snapshotOf(s: ClusterSources): ClusterSnapshot {
  return {
    policies: s.policies.list(), clusterPolicies: s.clusterPolicies.list(), pools: s.pools.list(), pods: s.pods.list(), nodes: s.nodes.list(),
    services: s.services.list(), namespaces: s.namespaces.list(),
  };
}
