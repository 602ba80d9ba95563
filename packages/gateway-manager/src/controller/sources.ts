import { createClusterSources, type Logger } from '@static-egress/controller-kit';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { ControllerSources } from './controller.js';

/** The manager watches exactly the shared cluster sources. Not started. */
export function createSources(kc: KubeConfig, logger: Logger, registry?: Registry): ControllerSources {
  return createClusterSources(kc, logger, registry);
}
