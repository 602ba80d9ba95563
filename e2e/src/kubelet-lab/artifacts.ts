// What a real lab node runs, built or located once per process: kubelet, kube-controller-manager,
// kube-scheduler, flanneld and the flannel CNI plugin (tools/k8s/build-node.sh), containerd, runc
// and the other CNI plugins (Debian's packages), the static-egress image and the local sandbox
// image (tools/image/). Each script prints its result last; a missing package is named, not guessed.
import { execa } from 'execa';
import { join } from 'node:path';
import { REPO_ROOT } from '../k8s/binaries.js';

export interface NodeArtifacts {
  bins: { kubelet: string; kubeControllerManager: string; kubeScheduler: string; flanneld: string; flannelCni: string };
  /** docker-archive of static-egress:<tag> (what `ctr images import` takes). */
  imageArchive: string;
  pauseArchive: string;
  pauseImage: string;
}

async function lastLine(script: string, args: string[] = []): Promise<string> {
  const { stdout } = await execa('bash', [join(REPO_ROOT, script), ...args], { stderr: 'inherit', cwd: REPO_ROOT });
  return stdout.trim().split('\n').pop() ?? '';
}

let cached: Promise<NodeArtifacts> | undefined;

export function resolveNodeArtifacts(say: (l: string) => void): Promise<NodeArtifacts> {
  cached ??= (async () => {
    const check = await execa('bash', [join(REPO_ROOT, 'tools/k8s/build-node.sh'), '--check'], { reject: false });
    if (check.exitCode !== 0) throw new Error(check.stderr.trim());
    say('node binaries (tools/k8s/build-node.sh), image (tools/image/build.sh), sandbox image');
    const dir = process.env.STATIC_EGRESS_NODE_BIN || await lastLine('tools/k8s/build-node.sh');
    const oci = process.env.STATIC_EGRESS_IMAGE_ARCHIVE || await lastLine('tools/image/build.sh');
    const pauseArchive = await lastLine('tools/image/build-pause.sh');
    return {
      bins: { kubelet: join(dir, 'kubelet'), kubeControllerManager: join(dir, 'kube-controller-manager'),
        kubeScheduler: join(dir, 'kube-scheduler'), flanneld: join(dir, 'flanneld'), flannelCni: join(dir, 'flannel') },
      imageArchive: oci.replace(/\.oci\.tar$/, '.docker.tar'),
      pauseArchive,
      pauseImage: 'lab-pause:1',
    };
  })().catch((err: unknown) => { cached = undefined; throw err; });
  return cached;
}
