// What one probe's outcome does to a node's verdict (issue 16 §2, pure). Only a node whose kernel
// answers nothing is lost: `failureThreshold` consecutive silent probes (then its lease must run out,
// prober.ts). A node whose kernel answers while its agent does not answer well — stalled (handshake
// completed, no HTTP answer in time), self-fenced (`"fenced":true`), restarting (connection refused)
// — is up and forwarding: its answers break a run of silent probes (a starved agent under 1 % loss
// loses a SYN now and then; those must not add up across seconds of stall to a "lost" node), and they
// count as failures only once the agent has stayed that way for its kind's grace, counted from the
// first such answer since the last good one.

/** One probe's outcome, from the node's kernel and its agent. */
export type ProbeOutcome = 'ok' | 'silent' | 'stalled' | 'fenced' | 'refused';

/** The outcomes in which the node's kernel answered although its agent did not answer well. */
export type HostUpOutcome = 'stalled' | 'fenced' | 'refused';

/** How long each host-up outcome is forgiven (ms; 0: a failure at once). */
export type HostUpGraces = Record<HostUpOutcome, number>;

export interface FailureRun {
  /** consecutive probes that counted as failures */
  failures: number;
  /** first answer of each host-up kind since the last good answer */
  since: Partial<Record<HostUpOutcome, number>>;
}

export const NO_FAILURES: FailureRun = { failures: 0, since: {} };

function isHostUp(o: ProbeOutcome): o is HostUpOutcome {
  return o === 'stalled' || o === 'fenced' || o === 'refused';
}

/** The run after one more outcome, and whether that outcome counted as a failure. */
export function computeFailureRun(run: FailureRun, outcome: ProbeOutcome, now: number, graces: HostUpGraces): { run: FailureRun; counted: boolean } {
  if (outcome === 'ok') return { run: NO_FAILURES, counted: false };
  if (!isHostUp(outcome)) return { run: { ...run, failures: run.failures + 1 }, counted: true };
  const since = { ...run.since, [outcome]: run.since[outcome] ?? now };
  // the host answered: it is up and forwarding, whatever its agent does, until the grace runs out
  if (now - since[outcome]! < graces[outcome]) return { run: { failures: 0, since }, counted: false };
  return { run: { failures: run.failures + 1, since }, counted: true };
}

/** The kind of an answer, as the real probe reports it (http-probe.ts); a non-200 answer counts at once, like silence. */
export function outcomeOf(res: { ok: boolean; fenced?: boolean; reachable?: boolean; refused?: boolean }): ProbeOutcome {
  if (res.ok) return 'ok';
  if (res.fenced) return 'fenced';
  if (res.reachable) return 'stalled';
  if (res.refused) return 'refused';
  return 'silent';
}
