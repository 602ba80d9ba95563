// Leader election on its own thread (issue 16 §4). A manager's pass over 10,000 policies, the GC
// after it and the decoding of its own status writes coming back on its watches stalled its event
// loop for up to 2.1 s (the scale lab, nodejs_eventloop_lag_max), and a renewal waiting behind that
// missed the 2 s renew deadline: the one manager lost its Lease 35–61 times in a few minutes, and
// each new term queued thousands of status writes again. Here the LeaderElector runs in a worker
// thread with its own event loop and its own connection (lease-client.ts), so only the API server's
// answer time counts against the deadline, as in a Go controller. The main thread reads leadership
// from shared memory (`isLeader()` is exact at any moment, even while its callbacks wait behind a
// long pass) and hears the changes as messages, in order.
//
// The worker runs this module alone: its source under tsx, or `lease-thread.js` beside the daemon's
// bundle (scripts/bundle.mjs builds it) — not the daemon's whole bundle, which would load the whole
// program (client-node, the AWS SDK, …) a second time, ≈ 110 MB. Without that file beside it, the
// worker runs the daemon's bundle, so a daemon's main() must not run off the main thread (`isMainThread`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadKubeConfig } from './kubeconfig.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-election.js';
import { createLogger, silentLogger, type Logger } from './logger.js';

const MARK = 'staticEgressLeaseThread';

/** What the worker needs: plain data only (the kubeconfig is loaded there from the same path). */
export type LeaseThreadSettings = Pick<LeaderElectorOptions, 'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'> & {
  kubeconfig?: string;
  /** The worker's log lines carry this name (e.g. the daemon's). */
  loggerName: string;
};

export type LeaseThreadOptions = LeaseThreadSettings & Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader' | 'leaderGauge'> & {
  logger?: Logger;
  /**
   * The election thread died (an uncaught error, out of memory): this replica can never lead again
   * and should exit so its kubelet restarts it, rather than stand by forever. Called after
   * onStoppedLeading when it was leading.
   */
  onThreadExit?: (code: number) => void;
};

type FromWorker = { type: 'started' } | { type: 'stopped' } | { type: 'holder'; id: string } | { type: 'done'; what: 'stop' | 'release' };

/** The `LeaderElector` API, with the election in a worker thread. */
export class ThreadedLeaderElector {
  private worker: Worker | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private holder = '';
  private waiters: Array<{ what: string; resolve: () => void }> = [];
  private readonly logger: Logger;
  private stopping = false;

  constructor(private readonly o: LeaseThreadOptions) {
    this.logger = o.logger ?? silentLogger;
    o.leaderGauge?.set(0);
  }

  /** Leading now, as the worker last renewed (shared memory: exact even while this thread was busy). */
  isLeader(): boolean {
    return Atomics.load(this.flag, 0) === 1;
  }

  leader(): string {
    return this.holder;
  }

  start(): void {
    if (this.worker) return;
    const { onStartedLeading: _s, onStoppedLeading: _t, onNewLeader: _n, leaderGauge: _g, logger: _l, onThreadExit: _e, ...settings } = this.o;
    this.worker = new Worker(leaseThreadFile(), { workerData: { [MARK]: { settings, flag: this.flag } } });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.logger.error({ err }, 'leader election thread failed'));
    this.worker.on('exit', (code) => {
      if (Atomics.load(this.flag, 0) === 1) this.onMessage({ type: 'stopped' });
      Atomics.store(this.flag, 0, 0);
      if (!this.stopping) {
        this.logger.error({ code }, 'leader election thread exited');
        this.o.onThreadExit?.(code);
      }
      for (const w of this.waiters.splice(0)) w.resolve();
    });
  }

  /** Stops campaigning (stepping down if leading) without touching the Lease. */
  stop(): Promise<void> {
    return this.ask('stop');
  }

  /** Stops campaigning and hands the Lease over if leading (see LeaderElector.release). */
  release(): Promise<void> {
    return this.ask('release');
  }

  private async ask(what: 'stop' | 'release'): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const done = new Promise<void>((resolve) => this.waiters.push({ what, resolve }));
    w.postMessage(what);
    await Promise.race([done, new Promise((r) => setTimeout(r, 5_000).unref())]);
    this.worker = undefined;
    this.stopping = true;
    await w.terminate();
  }

  private onMessage(m: FromWorker): void {
    const call = (fn: (() => void | Promise<void>) | undefined, what: string): void => {
      if (!fn) return;
      try {
        Promise.resolve(fn()).catch((err: unknown) => this.logger.error({ err }, `${what} failed`));
      } catch (err) {
        this.logger.error({ err }, `${what} failed`);
      }
    };
    if (m.type === 'started') {
      this.o.leaderGauge?.set(1);
      call(this.o.onStartedLeading, 'onStartedLeading');
    } else if (m.type === 'stopped') {
      this.o.leaderGauge?.set(0);
      call(this.o.onStoppedLeading, 'onStoppedLeading');
    } else if (m.type === 'holder') {
      this.holder = m.id;
      this.o.onNewLeader?.(m.id);
    } else {
      for (const w of this.waiters.filter((x) => x.what === m.what)) w.resolve();
      this.waiters = this.waiters.filter((x) => x.what !== m.what);
    }
  }
}

/** The file the worker runs: this module (sources), or its own bundle beside the daemon's (see the top). */
export function leaseThreadFile(own = import.meta.url): URL {
  const here = new URL(own);
  if (/\/lease-thread\.[cm]?[jt]s$/.test(here.pathname)) return here;
  const beside = new URL('./lease-thread.js', here);
  return existsSync(fileURLToPath(beside)) ? beside : here;
}

/** The worker's side: one LeaderElector on this thread's loop, reporting to the main thread. */
function runLeaseThread(data: { settings: LeaseThreadSettings; flag: Int32Array }): void {
  const { settings: s, flag } = data;
  const post = (m: FromWorker): void => parentPort!.postMessage(m);
  const elector = new LeaderElector({
    kc: loadKubeConfig(s.kubeconfig),
    namespace: s.namespace, name: s.name, identity: s.identity,
    ...(s.leaseDurationMs !== undefined ? { leaseDurationMs: s.leaseDurationMs } : {}),
    ...(s.renewDeadlineMs !== undefined ? { renewDeadlineMs: s.renewDeadlineMs } : {}),
    ...(s.retryPeriodMs !== undefined ? { retryPeriodMs: s.retryPeriodMs } : {}),
    logger: createLogger(s.loggerName),
    // the flag first: the main thread must never act on a term this thread has already ended
    leaderGauge: { set: (v) => Atomics.store(flag, 0, v) },
    onStartedLeading: () => post({ type: 'started' }),
    onStoppedLeading: () => post({ type: 'stopped' }),
    onNewLeader: (id) => post({ type: 'holder', id }),
  });
  parentPort!.on('message', (what: 'stop' | 'release') => {
    void (what === 'release' ? elector.release() : elector.stop()).then(() => post({ type: 'done', what }));
  });
  elector.start();
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARK]) {
  runLeaseThread((workerData as Record<string, { settings: LeaseThreadSettings; flag: Int32Array }>)[MARK]!);
}
