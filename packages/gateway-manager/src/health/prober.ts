// Probes each eligible node's agent /healthz over the node's InternalIP (DESIGN §5). A node turns
// unhealthy after `failureThreshold` consecutive misses and healthy again on the first success;
// every flip calls `onChange` at once so the manager re-assigns without waiting for a resync.
import { randomBytes } from 'node:crypto';
import type { Clock, ProbeOrder, TimerHandle } from '@static-egress/controller-kit';
import { computeFailureRun, NO_FAILURES, outcomeOf, type FailureRun, type ProbeOutcome } from './verdict.js';

export interface ProbeResponse {
  ok: boolean;
  /**
   * The node's kernel refused or closed the connection (RST, FIN): the host is up and forwarding,
   * only its agent is not listening (restarting). A lost node gives no answer at all.
   */
  refused?: boolean;
  /**
   * Egress IPs the agent says it holds, when its /healthz body reports them (JSON
   * `{"egressIPs": [...]}`); lets the manager confirm a drained node's release.
   */
  egressIPs?: string[];
  /**
   * How long the agent's kernel keeps announcing and forwarding for its egress IPs after this
   * probe renewed its lease (JSON `{"leaseMs": n}`), and how long it may keep them while its agent
   * restarts (`restartLeaseMs`). The manager moves an IP off a lost node only after that lease has
   * certainly run out, so two nodes never hold one IP (issue 14 §4).
   */
  leaseMs?: number;
  restartLeaseMs?: number;
  /** The agent answered but says it is self-fenced (holds nothing until the API confirms it again). */
  fenced?: boolean;
  /**
   * No answer in time, but the node's kernel completed the TCP handshake: the host is up and
   * forwarding, only its agent is slow (a stalled event loop), which is no reason to move its IPs.
   */
  reachable?: boolean;
}

/** One HTTP GET; must settle (or be aborted through `signal`). */
export type ProbeFetch = (url: string, signal: AbortSignal, headers?: Record<string, string>) => Promise<ProbeResponse>;

export interface ProbeTarget {
  node: string;
  address: string;
}

export interface NodeProberOptions {
  clock: Clock;
  fetch: ProbeFetch;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  /**
   * How long refused connections (host up, agent restarting) do not count toward the threshold, so
   * an agent restart does not move the node's IPs: its data path stays in the kernel meanwhile.
   * Default 0: a refusal is a failure like any other.
   */
  refusedGraceMs?: number;
  /**
   * How long a self-fenced answer does not count toward the threshold: a gateway that missed the
   * managers' probes for its lease (a leader change takes seconds) fences, then takes its IPs back
   * once the API confirms them; it announces nothing meanwhile, so waiting is safe. Default 0.
   */
  fencedGraceMs?: number;
  /**
   * How long a node whose kernel answers while its agent does not (`reachable`) keeps its IPs: a
   * stalled agent does not stop its kernel from forwarding. Default 0: a failure like any other.
   */
  stalledGraceMs?: number;
  /**
   * Adapts the vouching to the measured round trips: a probe stops vouching while an earlier one
   * has waited longer than this many times the slowest recent answer (clamped to [5 ms, timeout]),
   * so a lost node's lease starts running out well before its probes time out. Default: the timeout.
   */
  suspectRttFactor?: number;
  /**
   * Headers that authenticate this manager's probe of `node` (controller-kit probe-auth); `renew`
   * says whether the probe may renew the node's lease: only while its last probe did not fail. `run`
   * names this prober's run for the node: a new one begins when the node is declared lost, so an
   * agent whose lease lapsed may take it back at the next probe of the same run (nothing moved).
   */
  authenticate?: (node: string, claims: { renew: boolean; run: string; order?: ProbeOrder }) => Record<string, string>;
  /** Added to a lost node's lease before its IPs may move: clock rate and scheduling slack. Default 25 ms. */
  leaseMarginMs?: number;
  /** A node's verdict flipped (first verdict included); `why` names the last failure when it turns unhealthy. */
  onChange: (node: string, healthy: boolean, why?: VerdictReason) => void;
  /** One probe failed (for the probe-failures metric). */
  onFailure?: (node: string) => void;
  /** The agent reported what it holds. */
  onHeld?: (node: string, egressIPs: ReadonlySet<string>) => void;
}

/** What the last failed probe before an unhealthy verdict saw: the soak's evidence for a false alarm. */
export interface VerdictReason {
  /** silent: no answer from the node's kernel; the others answered (host up) after their grace ran out */
  last: Exclude<ProbeOutcome, 'ok'>;
  failures: number;
}

interface TargetState {
  address: string;
  /** Consecutive failures, and since when its agent has answered badly while its kernel answered. */
  misses: FailureRun;
  lastFailure?: VerdictReason['last'];
  /** This prober's run for the node (signed into each probe); a new one begins at each unhealthy verdict. */
  vouchRun: string;
  healthy?: boolean;
  held?: ReadonlySet<string>;
  /** How long recent answers took (ms), newest last. */
  rtts: number[];
  /** A refused connection since the last good answer: the agent restarts (and may stretch its lease). */
  restarting?: boolean;
  /** When the last probe that could renew the lease was sent (the lease counts from there). */
  lastRenewSentAt?: number;
  /** How long after a renewing probe is sent the agent's lease may run (its lease + late tolerance). */
  leaseMs?: number;
  /** Re-judges the node when its lease ends (threshold reached before). */
  leaseTimer?: TimerHandle;
  /** The lease the agent may extend itself to while it restarts, once it is seen restarting. */
  restartLeaseMs?: number;
  lastOkAt?: number;
  timer?: TimerHandle;
  /** Probes still waiting for an answer: each has its own timeout, so a dead node costs no interval. */
  inflight: Map<AbortController, Inflight>;
  /** Sequence of the last probe sent, and of the newest one whose verdict was counted. */
  sent: number;
  counted: number;
  /** Bumped when the target is replaced or removed, so a late answer is ignored. */
  epoch: number;
}

interface Inflight { seq: number; sentAt: number; timer?: TimerHandle }

const RTT_WINDOW = 32;
/** An order's answer comes after the agent's pass: it may take longer than a probe's timeout. */
const ORDER_TIMEOUT_MS = 1_000;

export class NodeProber {
  private readonly targets = new Map<string, TargetState>();
  private epochs = 0;
  private stopped = false;

  constructor(private readonly opts: NodeProberOptions) {}

  /** The set of nodes to probe. New ones start at once; gone ones stop and lose their verdict. */
  setTargets(targets: readonly ProbeTarget[]): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [t.node, t.address]));
    for (const [node, st] of this.targets) {
      if (wanted.get(node) !== st.address) this.drop(node, st);
    }
    for (const [node, address] of wanted) {
      if (this.targets.has(node)) continue;
      const st: TargetState = { address, misses: NO_FAILURES, vouchRun: newRunId(), epoch: ++this.epochs, inflight: new Map(), sent: 0, counted: 0, rtts: [] };
      this.targets.set(node, st);
      this.tick(node, st);
    }
  }

  /** node → verdict; nodes not probed to a verdict yet are absent. */
  health(): Map<string, boolean> {
    const m = new Map<string, boolean>();
    for (const [node, st] of this.targets) if (st.healthy !== undefined) m.set(node, st.healthy);
    return m;
  }

  /** What the node's agent last reported holding, if its /healthz reports that. */
  held(node: string): ReadonlySet<string> | undefined {
    return this.targets.get(node)?.held;
  }

  /**
   * Sends `order` to the node's agent now, on a probe of its own (issue 16: the fast path of a move;
   * the status write stays the record). Its answer only reports what the node holds (the agent answers
   * once its pass has acted on the order): it counts toward no verdict. False: the node is no target.
   */
  order(node: string, order: ProbeOrder): boolean {
    const st = this.targets.get(node);
    if (!st || this.stopped || !this.opts.authenticate) return false;
    const { clock } = this.opts;
    const epoch = st.epoch;
    const sentAt = clock.now();
    const renew = st.misses.failures === 0 && st.healthy !== false && !this.suspect(st, sentAt);
    if (renew) st.lastRenewSentAt = sentAt;
    const abort = new AbortController();
    const timer = clock.setTimeout(() => abort.abort(), ORDER_TIMEOUT_MS);
    const url = this.healthzURL(st);
    void this.opts.fetch(url, abort.signal, this.opts.authenticate(node, { renew, run: st.vouchRun, order })).catch((): ProbeResponse => ({ ok: false })).then((res) => {
      clock.clearTimeout(timer);
      if (st.epoch !== epoch || this.stopped || !res.ok || !res.egressIPs) return;
      st.held = new Set(res.egressIPs);
      this.opts.onHeld?.(node, st.held);
    });
    return true;
  }

  private healthzURL(st: TargetState): string {
    return `http://${formatHost(st.address)}:${this.opts.port}/healthz`;
  }

  stop(): void {
    this.stopped = true;
    for (const [node, st] of this.targets) this.drop(node, st);
  }

  private drop(node: string, st: TargetState): void {
    st.epoch = -1;
    this.opts.clock.clearTimeout(st.timer);
    this.opts.clock.clearTimeout(st.leaseTimer);
    for (const [abort, probe] of st.inflight) {
      this.opts.clock.clearTimeout(probe.timer);
      abort.abort();
    }
    st.inflight.clear();
    this.targets.delete(node);
  }

  /**
   * Sends one probe and schedules the next one `intervalMs` later whether or not this one has
   * answered: a dead node is then detected after about timeout + (threshold − 1) × interval, not
   * threshold × timeout. Answers are counted in send order; one older than a counted answer is dropped.
   */
  private tick(node: string, st: TargetState): void {
    const { clock, timeoutMs, intervalMs } = this.opts;
    const epoch = st.epoch;
    const seq = ++st.sent;
    st.timer = clock.setTimeout(() => this.tick(node, st), intervalMs);
    const sentAt = clock.now();
    const renew = st.misses.failures === 0 && st.healthy !== false && !this.suspect(st, sentAt);
    if (renew) st.lastRenewSentAt = sentAt;
    const abort = new AbortController();
    const probe: Inflight = { seq, sentAt };
    st.inflight.set(abort, probe);
    const url = this.healthzURL(st);
    const answer = this.opts.fetch(url, abort.signal, this.opts.authenticate?.(node, { renew, run: st.vouchRun })).catch((): ProbeResponse => ({ ok: false }));
    const timedOut = new Promise<ProbeResponse>((resolve) => {
      // One more turn of the event loop before the verdict: an answer that arrived while this
      // process was stalled is read first. Then abort: the fetch settles with what the kernel said.
      probe.timer = clock.setTimeout(() => {
        probe.timer = clock.setTimeout(() => {
          abort.abort();
          probe.timer = clock.setTimeout(() => resolve({ ok: false }), 0);
        }, 0);
      }, timeoutMs);
    });
    void Promise.race([answer, timedOut]).then((res) => {
      clock.clearTimeout(probe.timer);
      st.inflight.delete(abort);
      if (st.epoch !== epoch || this.stopped || seq < st.counted) return;
      st.counted = seq;
      if (res.ok) remember(st.rtts, clock.now() - sentAt);
      this.record(node, st, res);
    });
  }

  /** A probe newer than the last counted answer has waited longer than answers usually take. */
  private suspect(st: TargetState, now: number): boolean {
    const { suspectRttFactor, timeoutMs } = this.opts;
    if (suspectRttFactor === undefined) return false;
    const limit = st.rtts.length ? Math.min(timeoutMs, Math.max(5, suspectRttFactor * Math.max(...st.rtts))) : timeoutMs;
    for (const p of st.inflight.values()) if (p.seq > st.counted && now - p.sentAt > limit) return true;
    return false;
  }

  private record(node: string, st: TargetState, res: ProbeResponse): void {
    const now = this.opts.clock.now();
    if (res.ok) {
      this.opts.clock.clearTimeout(st.leaseTimer);
      st.misses = NO_FAILURES;
      st.lastOkAt = now;
      st.restartLeaseMs = res.restartLeaseMs;
      st.leaseMs = res.leaseMs;
      st.restarting = false;
      if (res.egressIPs) {
        st.held = new Set(res.egressIPs);
        this.opts.onHeld?.(node, st.held);
      }
      if (st.healthy !== true) {
        st.healthy = true;
        this.opts.onChange(node, true);
      }
      return;
    }
    this.opts.onFailure?.(node);
    if (res.refused) st.restarting = true;
    // the host answered (stalled, fenced, restarting agent): it forwards meanwhile; only silence adds up
    const outcome = outcomeOf(res) as VerdictReason['last'];
    const { run, counted } = computeFailureRun(st.misses, outcome, now, {
      fenced: this.opts.fencedGraceMs ?? 0, stalled: this.opts.stalledGraceMs ?? 0, refused: this.opts.refusedGraceMs ?? 0,
    });
    st.misses = run;
    if (!counted) return;
    st.lastFailure = outcome;
    this.judge(node, st);
  }

  /**
   * Until when the node's lease may still let it announce its IPs (undefined: it reports none). Probes
   * sent after the last answer may have reached it and renewed the lease; an agent seen restarting
   * may have stretched it to its restart lease.
   */
  private leaseEnd(st: TargetState): number | undefined {
    if (st.leaseMs === undefined || st.lastOkAt === undefined) return undefined;
    const fromRenewal = Math.max(st.lastOkAt, st.lastRenewSentAt ?? 0) + st.leaseMs;
    return st.restarting && st.restartLeaseMs !== undefined ? Math.max(fromRenewal, st.lastOkAt + st.restartLeaseMs) : fromRenewal;
  }

  /** Down once the threshold is reached and the lease has run out; if only the lease runs, look again when it ends. */
  private judge(node: string, st: TargetState): void {
    const { clock } = this.opts;
    clock.clearTimeout(st.leaseTimer);
    if (st.misses.failures < this.opts.failureThreshold || st.healthy === false || st.epoch < 0) return;
    // never before the lease has run out: until then the lost node may still answer ARP for its IPs
    const end = this.leaseEnd(st);
    const endsIn = end === undefined ? 0 : end + (this.opts.leaseMarginMs ?? 25) - clock.now();
    if (endsIn > 0) {
      st.leaseTimer = clock.setTimeout(() => this.judge(node, st), endsIn);
      return;
    }
    st.healthy = false;
    st.vouchRun = newRunId(); // declared lost: a lease lapsed before now is not taken back without the API
    this.opts.onChange(node, false, { last: st.lastFailure ?? 'silent', failures: st.misses.failures });
  }
}

function newRunId(): string {
  return randomBytes(9).toString('base64url');
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** The real probe lives in http-probe.ts (fresh connection per probe: the kernel answers too). */
export { httpProbe } from './http-probe.js';

function remember(rtts: number[], ms: number): void {
  rtts.push(ms);
  if (rtts.length > RTT_WINDOW) rtts.shift();
}
