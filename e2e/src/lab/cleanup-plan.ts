// What `lab down --all` removes, decided from what it found (pure; cleanup.ts gathers and executes).
// A run whose owner process is alive belongs to someone else's session — a suite, a bench, a `lab up`
// in another terminal — and is left alone, together with its namespaces, directory and processes,
// unless `force`. Everything else carrying the lab's names is a leftover.
import { LAB_NETNS_RE } from './names.js';

export interface RunFound {
  prefix: string;
  /** The run's state directory (<base>/<prefix>). */
  dir: string;
  /** The owner pid is alive and still a node process (a reused pid counts as gone). */
  ownerAlive: boolean;
}

export interface DownAllInput {
  runs: RunFound[];
  /** Every network namespace on the machine. */
  netns: string[];
  /** Every entry under the lab's base directories, as full paths. */
  dirs: string[];
  /** Entry names under the kept-logs directory (one per prefix). */
  keptLogs: string[];
  force: boolean;
}

export interface DownAllPlan {
  /** Live runs to stop through their owner (SIGTERM, then SIGKILL): only with force. */
  stop: string[];
  /** Runs whose owner is gone: removed here. */
  remove: string[];
  /** Live runs left alone (no force). */
  spared: string[];
  /** Lab namespaces of no spared run, left after the runs above are removed. */
  netns: string[];
  /** State directories of no spared run. */
  dirs: string[];
  /** Kept-log entries of no spared run. */
  keptLogs: string[];
  /** Directories of spared runs: a process naming one of them is not a leftover. */
  sparedDirs: string[];
}

export function planDownAll(input: DownAllInput): DownAllPlan {
  const live = input.runs.filter((r) => r.ownerAlive);
  const spared = input.force ? [] : live;
  const sparedPrefixes = new Set(spared.map((r) => r.prefix));
  const sparedDirs = spared.map((r) => r.dir);
  const ofSpared = (name: string): boolean => sparedPrefixes.has(name.split('-')[0]!);
  return {
    stop: input.force ? live.map((r) => r.prefix) : [],
    remove: input.runs.filter((r) => !r.ownerAlive).map((r) => r.prefix),
    spared: [...sparedPrefixes],
    netns: input.netns.filter((n) => LAB_NETNS_RE.test(n) && !ofSpared(n)),
    dirs: input.dirs.filter((d) => !sparedDirs.includes(d) && !sparedPrefixes.has(basename(d))),
    keptLogs: input.keptLogs.filter((e) => !sparedPrefixes.has(e)),
    sparedDirs,
  };
}

/** A process left by some run: its command line names a lab base directory, and no spared run's. */
export function isLeftoverProcess(cmdline: string, bases: string[], sparedDirs: string[]): boolean {
  return bases.some((b) => cmdline.includes(b)) && !sparedDirs.some((d) => cmdline.includes(d));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
