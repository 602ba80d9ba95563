// Locates kube-apiserver, kubectl and etcd. tools/k8s/build.sh prints the bin directory, building
// the binaries first when the cache is empty (minutes on two cores, with its own progress on stderr).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface K8sBinaries {
  dir: string;
  kubeApiServer: string;
  kubectl: string;
  etcd: string;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

let cached: Promise<K8sBinaries> | undefined;

/**
 * Resolves the binaries once per process. `STATIC_EGRESS_K8S_BIN` overrides the build script
 * (a directory holding all three binaries).
 */
export function resolveK8sBinaries(): Promise<K8sBinaries> {
  cached ??= locate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function locate(): Promise<K8sBinaries> {
  let dir = process.env.STATIC_EGRESS_K8S_BIN;
  if (!dir) {
    const script = join(REPO_ROOT, 'tools/k8s/build.sh');
    // stderr is inherited so a first build shows its progress instead of looking hung.
    const { stdout } = await execa('bash', [script], { stderr: 'inherit', cwd: REPO_ROOT });
    dir = stdout.trim().split('\n').pop() ?? '';
  }
  const bins = {
    dir,
    kubeApiServer: join(dir, 'kube-apiserver'),
    kubectl: join(dir, 'kubectl'),
    etcd: join(dir, 'etcd'),
  };
  for (const path of [bins.kubeApiServer, bins.kubectl, bins.etcd]) {
    if (!existsSync(path)) throw new Error(`k8s binary missing: ${path} (run npm run k8s:build)`);
  }
  return bins;
}
