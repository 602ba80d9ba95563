/** One measured figure, always with the baseline measured in the same run (DESIGN §8). */
export interface Figure {
  name: string;
  unit: string;
  value: number;
  baseline: { name: string; value: number };
  /** value / baseline.value */
  ratio: number;
  target?: string;
  met?: boolean;
  details?: Record<string, unknown>;
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  /** Extra files written (e.g. the failover timeline SVG), relative to bench/results. */
  artifacts?: string[];
  /** Why a bench could not run here; reported, never hidden. */
  skipped?: string;
}

export interface BenchOptions {
  quick: boolean;
  resultsDir: string;
  /** `--soak-minutes`: the length of the soak (bench/lab/soak.ts). */
  soakMinutes?: number;
  /** `--agent-args`: extra node-agent flags for the lab benches that take them (failover-modes.ts). */
  agentArgs?: string[];
  /** extra gateway-manager flags for the lab benches that take them (`--manager-args`) */
  managerArgs?: string[];
}

export function figure(f: Omit<Figure, 'ratio'>): Figure {
  const ratio = f.baseline.value === 0 ? Number.POSITIVE_INFINITY : f.value / f.baseline.value;
  return { ...f, ratio: Math.round(ratio * 1000) / 1000 };
}
