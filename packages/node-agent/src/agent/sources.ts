// One informer per watched resource, cluster-wide (a gateway SNATs pods of every node).
import { createClusterSources, type ClusterSources, type Logger } from '@static-egress/controller-kit';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { ClusterSnapshot } from './inputs.js';

export type AgentSources = ClusterSources;

export function createAgentSources(kc: KubeConfig, logger: Logger, registry: Registry): AgentSources {
  return createClusterSources(kc, logger, registry);
}

export function snapshotOf(s: AgentSources): ClusterSnapshot {
  return {
    policies: s.policies.list(), pools: s.pools.list(), pods: s.pods.list(), nodes: s.nodes.list(),
    services: s.services.list(), namespaces: s.namespaces.list(),
  };
}
