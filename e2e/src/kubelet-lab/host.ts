// The two host resources a real kubelet needs that a network namespace does not hold: cgroups and
// mounts. Both are confined to run-specific places: cgroup directories only under
// `<hierarchy>/<run cgroup>` (a name with the run's prefix), mounts only under the run's directory.
// Teardown kills only the processes inside that cgroup subtree (the pods, shims and daemons this run
// started), by PID.
import { execaSync } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_FS = '/sys/fs/cgroup';
export const RUN_CGROUP_RE = /^sel[a-z0-9]{4}-kubelet$/;

/** Every mounted hierarchy: v1 controllers, name=systemd, and the unified (v2) tree if mounted. */
export function cgroupHierarchies(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const fstype = post?.split(' ')[0];
    const mnt = pre?.split(' ')[4];
    if (mnt && (fstype === 'cgroup' || fstype === 'cgroup2') && mnt.startsWith(`${CGROUP_FS}/`)) out.push(mnt);
  }
  return [...new Set(out)].sort();
}

function assertRunCgroup(name: string): void {
  if (!RUN_CGROUP_RE.test(name)) throw new Error(`refusing a cgroup outside a lab run: ${name}`);
}

/**
 * Creates `/<run cgroup>/<node>` in every hierarchy (kubelet's cgroupRoot must exist in each v1
 * controller); cpuset children start empty in v1, so they inherit the parent's CPUs and memory nodes.
 */
export function createRunCgroups(runCgroup: string, nodes: string[]): void {
  assertRunCgroup(runCgroup);
  for (const h of cgroupHierarchies()) {
    for (const dir of [join(h, runCgroup), ...nodes.map((n) => join(h, runCgroup, n))]) {
      mkdirSync(dir, { recursive: true });
      if (h.endsWith('/cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const parent = readFileSync(join(dir, '..', f), 'utf8').trim();
          if (!readFileSync(join(dir, f), 'utf8').trim()) writeFileSync(join(dir, f), parent);
        }
      }
    }
  }
}

function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const kids = readdirSync(dir).map((e) => join(dir, e)).filter((p) => {
    try { return statSync(p).isDirectory(); } catch { return false; }
  });
  return [...kids.flatMap(subtree), dir]; // deepest first
}

/** PIDs in the run's cgroup subtree of any hierarchy. */
export function runCgroupPids(runCgroup: string): number[] {
  assertRunCgroup(runCgroup);
  const pids = new Set<number>();
  for (const h of cgroupHierarchies()) {
    for (const dir of subtree(join(h, runCgroup))) {
      try {
        for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (Number(l) > 0) pids.add(Number(l));
      } catch { /* gone */ }
    }
  }
  return [...pids];
}

/** Kills what is left in the subtree (SIGKILL, by PID), then removes its directories, deepest first. */
export function removeRunCgroups(runCgroup: string): string[] {
  assertRunCgroup(runCgroup);
  for (let round = 0; round < 20; round++) {
    const pids = runCgroupPids(runCgroup);
    if (!pids.length) break;
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    execaSync('sleep', ['0.1']);
  }
  const failed: string[] = [];
  for (const h of cgroupHierarchies()) {
    for (const dir of subtree(join(h, runCgroup))) {
      try { rmdirSync(dir); } catch (err) { failed.push(`${dir}: ${(err as Error).message}`); }
    }
  }
  return failed;
}

/** Mount points at or under `dir`, deepest first (containerd's rootfs and netns, kubelet's volumes). */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = mountinfo.split('\n').map((l) => l.split(' ')[4] ?? '')
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under `dir` (repeats: a bind may be stacked on another). */
export function unmountUnder(dir: string): string[] {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (!points.length) return [];
    for (const m of points) execaSync('umount', ['-l', m], { reject: false });
  }
  return mountsUnder(dir);
}
