// The audit log put together for a node (main.ts calls this only when --audit-log is given):
// accounting on in this namespace, the sink, the log, and `conntrack -E` feeding it.
import type { V1Pod } from '@kubernetes/client-node';
import type { Clock, Informer, Logger } from '@static-egress/controller-kit';
import { AuditLog } from './audit-log.js';
import type { AuditConfig } from './config.js';
import { enableConntrackAccounting, LinuxConntrackEvents } from './linux-conntrack-events.js';
import { computePodIndex, type PodRef } from './record.js';
import { FileAuditSink, StdoutAuditSink } from './sink.js';

export interface AuditDeps {
  clock: Clock;
  logger: Logger;
  node: string;
  pods: Informer<V1Pod>;
  /** the egress IPs on the uplink (null before the first kernel read) */
  held: () => ReadonlySet<string> | null;
}

export async function startLinuxAuditLog(cfg: AuditConfig, d: AuditDeps): Promise<{ stop: () => Promise<void> }> {
  await enableConntrackAccounting().then(
    (changed) => changed && d.logger.info({}, 'audit log: net.netfilter.nf_conntrack_acct set to 1 in the node\'s namespace (byte counts)'),
    (e: Error) => d.logger.warn({ err: e },
      'audit log: could not set net.netfilter.nf_conntrack_acct=1; end lines carry null bytes unless it is set on the node'));
  const sink = cfg.target === 'stdout' ? new StdoutAuditSink() : openFileSink(cfg.target, d);
  // the pod index is rebuilt on the first event after a pod changed, not on every pod event
  let index: ReadonlyMap<string, PodRef> | undefined;
  const off = d.pods.on('change', () => { index = undefined; });
  const none: ReadonlySet<string> = new Set();
  const log = new AuditLog({
    clock: d.clock, sink, node: d.node, ratePerSec: cfg.ratePerSec,
    podByIP: () => (index ??= computePodIndex(d.pods.list())),
    heldIPs: () => d.held() ?? none,
  });
  const events = new LinuxConntrackEvents({
    onLine: (l) => log.onLine(l),
    onError: (e) => d.logger.warn({ err: e }, 'audit log: conntrack events'),
  });
  events.start();
  d.logger.info({ target: cfg.target, ratePerSec: cfg.ratePerSec }, 'audit log on');
  return {
    stop: async () => {
      off();
      await events.stop();
      log.stop();
      sink.close();
    },
  };
}

function openFileSink(path: string, d: AuditDeps): FileAuditSink {
  try {
    return new FileAuditSink(path, { now: () => d.clock.now(), onError: (e) => d.logger.error({ err: e }, 'audit log: write failed') });
  } catch (e) {
    throw new Error(`--audit-log ${path}: cannot open it for appending (${(e as Error).message}); in a pod, mount a writable volume there (docs/audit-log.md)`);
  }
}
