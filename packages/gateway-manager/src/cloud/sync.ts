// The cloud side of the manager's executor: keeps a snapshot of every node's interface (read again
// every resync period, when the node set changes and after any failed call) and carries out a pass's
// cloud calls, updating the snapshot from what succeeded. Failed calls are remembered per IP, so the
// pass reports them in status, and make the sync fail so the runner retries with backoff.
import type { Clock, Logger } from '@static-egress/controller-kit';
import type { CloudOp } from './plan.js';
import type { CloudInterface, CloudNodeRef, CloudProvider } from './provider.js';

/** What the pure pass needs from the cloud. */
export interface CloudView {
  interfaces: ReadonlyMap<string, CloudInterface>;
  /** ip → the last error of a call about it, until a call about it succeeds. */
  errors: ReadonlyMap<string, string>;
}

export interface CloudSyncOptions {
  provider: CloudProvider;
  clock: Clock;
  logger: Logger;
  /** Read every interface again at least this often (drift made by hand or by others). */
  resyncMs: number;
}

export class CloudSync {
  private interfaces = new Map<string, CloudInterface>();
  private readonly errors = new Map<string, string>();
  private readAt: number | undefined;
  private nodesKey = '';
  private stale = true;

  constructor(private readonly opts: CloudSyncOptions) {}

  /** The snapshot for this pass, read again if due. Throws only when there has never been one. */
  async observe(nodes: readonly CloudNodeRef[]): Promise<CloudView> {
    const key = nodes.map((n) => `${n.name}=${n.providerID ?? ''}`).sort().join(',');
    const now = this.opts.clock.now();
    const due = this.stale || key !== this.nodesKey || this.readAt === undefined || now - this.readAt >= this.opts.resyncMs;
    if (due) {
      try {
        const list = await this.opts.provider.describeNodes(nodes);
        this.interfaces = new Map(list.map((i) => [i.node, i]));
        this.readAt = now;
        this.nodesKey = key;
        this.stale = false;
      } catch (err) {
        if (this.readAt === undefined) throw err;
        this.opts.logger.warn({ err }, 'cloud: could not read the interfaces; using the last snapshot');
      }
    }
    return this.view();
  }

  view(): CloudView {
    return { interfaces: this.interfaces, errors: this.errors };
  }

  /** When the next resync read is due. */
  resyncInMs(): number {
    return this.readAt === undefined ? 0 : Math.max(0, this.readAt + this.opts.resyncMs - this.opts.clock.now());
  }

  /** Carries out the calls in order; returns how many failed. */
  async apply(ops: readonly CloudOp[]): Promise<number> {
    let failed = 0;
    for (const op of ops) {
      try {
        await this.applyOne(op);
        this.errors.delete(op.ip);
      } catch (err) {
        failed++;
        this.stale = true;
        this.errors.set(op.ip, `${this.opts.provider.name} ${op.kind} ${op.ip}: ${describe(err)}`);
        this.opts.logger.warn({ op, err }, 'cloud call failed; retrying with backoff');
      }
    }
    return failed;
  }

  private async applyOne(op: CloudOp): Promise<void> {
    const { provider, logger } = this.opts;
    if (op.kind === 'release') {
      const on = this.interfaces.get(op.node);
      if (!on) return;
      await provider.releaseIP(op.ip, on);
      this.replace(on, { secondary: on.secondary.filter((a) => a !== op.ip) });
      logger.info({ ip: op.ip, node: op.node, interface: on.interface }, 'cloud: released egress IP');
      return;
    }
    const to = this.interfaces.get(op.to);
    if (!to) throw new Error(`node ${op.to} has no cloud interface`);
    const from = op.from.flatMap((n) => this.interfaces.get(n) ?? []);
    await provider.assignIP(op.ip, to, from);
    for (const f of from) this.replace(f, { secondary: f.secondary.filter((a) => a !== op.ip) });
    this.replace(to, { secondary: [...to.secondary.filter((a) => a !== op.ip), op.ip] });
    logger.info({ ip: op.ip, node: op.to, interface: to.interface, from: op.from }, 'cloud: assigned egress IP');
  }

  private replace(iface: CloudInterface, change: Partial<CloudInterface>): void {
    this.interfaces = new Map(this.interfaces).set(iface.node, { ...this.interfaces.get(iface.node)!, ...change });
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`.split('\n')[0] ?? '';
}
