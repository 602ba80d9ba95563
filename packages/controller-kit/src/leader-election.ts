import { V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { createLeaseClient } from './lease-client.js';
import { silentLogger, type Logger } from './logger.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
 * - a lease held by someone else counts as valid until `leaseDurationSeconds` after this process
 *   last saw the record change (by its own clock). The holder's `renewTime` is never compared
 *   with the local clock, so clock skew between machines cannot cause two leaders, and a crashed
 *   holder whose clock ran ahead cannot block a takeover;
 * - every write carries the resourceVersion just read (replace, not patch), so of two candidates
 *   acting on the same record only one wins;
 * - the leader renews every `retryPeriod` and steps down when no renewal has succeeded for
 *   `renewDeadline` (< `leaseDuration`), so it stops acting before a standby may take over;
 * - `release()` empties the holder and sets a 1 s duration so a standby takes over at once.
 * After stepping down the elector keeps campaigning; exit in `onStoppedLeading` if the process
 * must not lead twice.
 */

/** The three Lease calls used; `CoordinationV1Api` satisfies it, as does a fake. */
export interface LeaseClient {
  readNamespacedLease(param: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(param: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(param: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

export interface LeaderElectorOptions {
  /** Either a kubeconfig (a client on its own keep-alive connection is made from it, `createLeaseClient`) or a ready client. */
  kc?: KubeConfig;
  api?: LeaseClient;
  namespace: string;
  name: string;
  /** Unique per process (pod name). Two processes with one identity would both lead. */
  identity: string;
  /** How long a standby waits after the last observed change. Default 3000. */
  leaseDurationMs?: number;
  /** The leader steps down when it has not renewed for this long. Default 2000. */
  renewDeadlineMs?: number;
  /** Interval between attempts (acquire or renew). Default 500. */
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  onStartedLeading?: () => void | Promise<void>;
  onStoppedLeading?: () => void | Promise<void>;
  /** Called whenever the observed holder changes ('' when nobody holds it). */
  onNewLeader?: (identity: string) => void;
  /** Set to 1 while leading, 0 otherwise (e.g. `createLeaderGauge(registry)`). */
  leaderGauge?: { set(value: number): void };
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const code = e?.code ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function timeText(t: unknown): string {
  return t instanceof Date ? t.toISOString() : String(t ?? '');
}

export class LeaderElector {
  private readonly api: LeaseClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  private running = false;
  private leading = false;
  private attempt: Promise<void> | undefined;
  private loopTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  /** Start time of the attempt that last wrote our renewal successfully. */
  private lastRenew = 0;
  private observedSignature = '';
  private observedTime = 0;
  private observedHolder = '';
  /** The record as this process last wrote it: while leading, a renewal replaces it without reading first. */
  private written: V1Lease | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 3000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 2000;
    this.retryPeriodMs = options.retryPeriodMs ?? 500;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new Error(`leaseDuration (${this.leaseDurationMs}ms) must be greater than renewDeadline (${this.renewDeadlineMs}ms)`);
    }
    if (!(this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error(`renewDeadline (${this.renewDeadlineMs}ms) must be greater than retryPeriod (${this.retryPeriodMs}ms)`);
    }
    if (!options.identity) throw new Error('leader election needs a non-empty identity');
    if (options.api) this.api = options.api;
    else if (options.kc) this.api = createLeaseClient(options.kc, this.renewDeadlineMs); // its own connection (issue 16 §4)
    else throw new Error('LeaderElector needs kc or api');
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    options.leaderGauge?.set(0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this process last observed ('' when none). */
  leader(): string {
    return this.observedHolder;
  }

  /** Starts campaigning; the first attempt runs at once. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops campaigning (stepping down if leading) without touching the Lease. */
  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.loopTimer);
    this.loopTimer = undefined;
    await this.attempt;
    this.stepDown('stopped');
  }

  /**
   * Stops campaigning and, if leading, hands the Lease over: empty holder, 1 s duration. Call on
   * SIGTERM after the work that needed leadership has stopped. Errors are logged, not thrown:
   * the Lease then simply expires.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.stop();
    if (!wasLeading) return;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = new V1MicroTime(this.clock.now());
      await this.api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
      });
      this.logger.info({ lease: this.leaseName() }, 'released leader lease');
    } catch (err) {
      this.logger.warn({ lease: this.leaseName(), err }, 'could not release leader lease; it will expire');
    }
  }

  private leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  private tick(): void {
    if (!this.running) return;
    this.attempt = this.runAttempt().finally(() => {
      this.attempt = undefined;
      if (this.running) this.loopTimer = this.clock.setTimeout(() => this.tick(), this.retryPeriodMs);
    });
  }

  private async runAttempt(): Promise<void> {
    const started = this.clock.now();
    let ok = false;
    try {
      ok = await this.withTimeout(this.tryAcquireOrRenew(started), this.renewDeadlineMs);
    } catch (err) {
      this.logger.warn({ lease: this.leaseName(), err, leading: this.leading }, 'lease attempt failed');
    }
    if (!this.running) return;
    if (ok) {
      this.lastRenew = started;
      this.armDeadline();
      if (!this.leading) this.startLeading();
    } else if (this.leading && this.clock.now() - this.lastRenew >= this.renewDeadlineMs) {
      this.stepDown('renew deadline passed');
    }
  }

  /** Rejects when `ms` pass first; the late result of the slow call is ignored. */
  private withTimeout<V>(p: Promise<V>, ms: number): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new Error(`lease request timed out after ${ms}ms`)), ms);
      p.then(
        (v) => {
          this.clock.clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          this.clock.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  // A hung renewal must not keep us leading: step down at lastRenew + renewDeadline at the latest.
  private armDeadline(): void {
    this.clock.clearTimeout(this.deadlineTimer);
    const due = this.lastRenew + this.renewDeadlineMs - this.clock.now();
    this.deadlineTimer = this.clock.setTimeout(() => {
      this.deadlineTimer = undefined;
      if (this.leading && this.clock.now() - this.lastRenew >= this.renewDeadlineMs) {
        this.stepDown('renew deadline passed');
      }
    }, due);
  }

  private startLeading(): void {
    this.leading = true;
    this.options.leaderGauge?.set(1);
    this.logger.info({ lease: this.leaseName(), identity: this.options.identity }, 'started leading');
    this.callback(this.options.onStartedLeading, 'onStartedLeading');
  }

  private stepDown(reason: string): void {
    this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.options.leaderGauge?.set(0);
    this.logger.warn({ lease: this.leaseName(), identity: this.options.identity, reason }, 'stopped leading');
    this.callback(this.options.onStoppedLeading, 'onStoppedLeading');
  }

  private callback(fn: (() => void | Promise<void>) | undefined, what: string): void {
    if (!fn) return;
    try {
      Promise.resolve(fn()).catch((err: unknown) => this.logger.error({ err }, `${what} failed`));
    } catch (err) {
      this.logger.error({ err }, `${what} failed`);
    }
  }

  private observe(lease: V1Lease, now: number): void {
    const spec = lease.spec ?? {};
    const signature = [
      lease.metadata?.resourceVersion,
      spec.holderIdentity,
      timeText(spec.renewTime),
      spec.leaseDurationSeconds,
      spec.leaseTransitions,
    ].join('|');
    if (signature !== this.observedSignature) {
      this.observedSignature = signature;
      this.observedTime = now;
    }
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) this.logger.info({ lease: this.leaseName(), holder }, 'new leader observed');
      this.options.onNewLeader?.(holder);
    }
  }

  /**
   * One round. True when this process holds the Lease afterwards. A leader first replaces the record
   * it last wrote (one request, as client-go's renewal; a changed record answers 409 and the full
   * read-decide-write follows): a renewal behind a busy event loop or apiserver then costs one round
   * trip of its deadline, not two (issue 16 §4: the scale lab lost its Lease every few seconds).
   */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    if (this.leading && this.written) {
      try {
        return this.wrote(await this.api.replaceNamespacedLease({
          name: this.options.name, namespace: this.options.namespace, body: this.renewal(this.written, now, true),
        }), now);
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        this.written = undefined; // changed since: read it
      }
    }
    return this.readAndDecide(now);
  }

  /** `lease` with this process as holder at `now` (`ours`: the term goes on). */
  private renewal(lease: V1Lease, now: number, ours: boolean): V1Lease {
    const spec = lease.spec ?? {};
    const at = new V1MicroTime(now);
    return {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: at,
        acquireTime: ours ? spec.acquireTime : at,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
  }

  private wrote(lease: V1Lease, now: number): true {
    this.observe(lease, now);
    this.written = lease;
    return true;
  }

  private async readAndDecide(now: number): Promise<boolean> {
    const { name, namespace, identity } = this.options;
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      const at = new V1MicroTime(now);
      try {
        const created = await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: at, renewTime: at, leaseTransitions: 0 },
          },
        });
        return this.wrote(created, now);
      } catch (createErr) {
        if (statusOf(createErr) === 409) return false; // another candidate created it first
        throw createErr;
      }
    }

    this.observe(lease, now);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const validForMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && holder !== identity) {
      if (this.leading) this.stepDown(`lease taken by ${holder}`);
      if (this.observedTime + validForMs > now) return false;
    }

    try {
      return this.wrote(await this.api.replaceNamespacedLease({ name, namespace, body: this.renewal(lease, now, holder === identity) }), now);
    } catch (err) {
      if (statusOf(err) === 409) return false; // the record changed since we read it
      throw err;
    }
  }
}
