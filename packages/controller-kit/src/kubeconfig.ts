import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * `path` (from `--kubeconfig`) if given; else in-cluster when running in a pod (service-account
 * token present and KUBERNETES_SERVICE_HOST set); else the default chain (`KUBECONFIG`,
 * `~/.kube/config`). A given path that does not exist is an error, never a silent fallback.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`--kubeconfig ${path}: file not found`);
    kc.loadFromFile(path);
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`no current cluster in the kubeconfig${path ? ` ${path}` : ''}`);
  }
  return kc;
}
