// node-agent: wiring only. See docs/CONTRACTS.md for the flags and DESIGN §3, §5, §6.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  BadObjectReporter, ProbeVerifier, createClusterSources, createLogger, createRegistry, exitOnSignal, loadKubeConfig, loadProbeKey, parseOrExit,
  realClock, snapshotOf,
  startHttpServer, type Informer,
} from '@static-egress/controller-kit';
import { Agent } from './agent/agent.js';
import { startLinuxAuditLog } from './audit/linux-audit.js';
import { cleanupNode } from './agent/cleanup.js';
import { apiConfirmHeld, policiesAssignedTo } from './agent/confirm.js';
import { healthzRoute } from './agent/health.js';
import { Orders, holdersOfStatuses } from './agent/orders.js';
import { computeAgentInputs } from './agent/inputs.js';
import { ScopedPods, computePodScope, createScopedPodInformer } from './agent/pod-scope.js';
import { findUplink, waitForCaches, waitForNodeIP } from './agent/startup.js';
import { parseAgentConfig, renderConfigOf } from './config.js';
import { Fence } from './fencing/fence.js';
import { LeaseKeeper } from './fencing/lease-keeper.js';
import { SelfFencing } from './fencing/self-fencing.js';
import { createLinuxKernel } from './kernel/linux.js';
import { createLinuxKernel6 } from './kernel/linux6.js';
import { withIPv6Tunnel } from './kernel/linux-vxlan.js';
import { LinuxNetlink, type InterfaceAddress } from './kernel/linux-netlink.js';
import { ipv6DataPlane } from './agent/ipv6.js';
import { familyLeaseTable } from './fencing/family-lease.js';
import { ipv6IpsetPrefix } from './render/family.js';
import { selectIptablesBackend } from './kernel/iptables-backend.js';
import { createAgentMetrics } from './metrics.js';
import { computeNodeReport, KubeNodeReporter } from './report/node-report.js';
import { readEgressCounters } from './reconcile/counters.js';
import { NodeSyncer } from './reconcile/syncer.js';
import { DamageHealer } from './reconcile/damage-watch.js';
import { LinuxChangeMonitor } from './kernel/linux-monitor.js';
import { KubeNodeEvents } from './report/node-events.js';
import { guardTable } from './render/guard.js';

// eslint-disable-next-line max-lines-per-function -- wiring only, in construction order: one page shows what runs and what stops on exit
async function main(): Promise<void> {
  const cfg = parseOrExit('node-agent', () => parseAgentConfig(process.argv.slice(2)));
  const logger = createLogger('node-agent');
  const backend = await selectIptablesBackend();
  logger.info({ backend: backend ?? 'as installed' }, 'iptables backend (kube-proxy wrapper rule)');
  const kernel = createLinuxKernel({
    ipsetPrefix: cfg.ipsetPrefix,
    onGarpError: (e) => logger.error({ err: e }, 'arping failed'),
    onNetlinkError: (e) => logger.error({ err: e }, 'netlink socket error (the sync in flight fails and a full resync follows)'),
  });
  // the IPv6 state's capabilities (dual stack, issue 11): used only where the Node has an IPv6 InternalIP
  const kernel6 = createLinuxKernel6({
    ipsetPrefix: ipv6IpsetPrefix(cfg.ipsetPrefix), onNAError: (e) => logger.error({ err: e }, 'unsolicited neighbour advertisement failed'),
    onNetlinkError: (e) => logger.error({ err: e }, 'netlink socket error (IPv6; the sync in flight fails and a full resync follows)'),
  });
  if (cfg.cleanup) {
    await cleanupNode(cfg, kernel, kernel6, interfaceAddresses6).finally(() => { kernel.close(); kernel6.close(); });
    logger.info({}, 'cleanup done: no chain, set, rule, route, address or tunnel of ours is left');
    return;
  }

  const clock = realClock;
  const kc = loadKubeConfig(cfg.kubeconfig);
  const registry = createRegistry();
  const metrics = createAgentMetrics(registry, () => readEgressCounters(kernel.iptables, cfg.chainPrefix));
  const fence = new Fence(clock, cfg.fenceAfterMs, cfg.leaseMs);
  kernel.setGarpRepeatGuard(() => fence.leaseRunning()); // repeated GARPs bypass the lease's guard
  // policies without their status conditions: an agent acts on assignments only (issue 16 §4)
  const sources = createClusterSources(kc, logger, registry, { policyStatus: 'assignments' });
  // a confirmation reads the policies the cache says assign this node an IP, not the cluster's (issue 16 §4)
  const cachedPolicies = () => [...sources.policies.list(), ...sources.clusterPolicies.list()];
  const confirmHeld = apiConfirmHeld(kc, cfg.nodeName, () => policiesAssignedTo(cfg.nodeName, cachedPolicies()));
  const fencing = new SelfFencing({ clock, logger, fence, gauge: metrics.fenced, confirmHeld });
  // pods: this node's only, unless a pool admits it as a gateway or it holds an IP (issue 16 §4)
  const scopeInputs = [sources.nodes, sources.pools, sources.policies, sources.clusterPolicies] as Informer<KubernetesObject>[];
  const pods = sources.pods = new ScopedPods({
    logger, clock, make: (scope) => createScopedPodInformer(kc, logger, registry, scope, cfg.nodeName),
    scope: () => (scopeInputs.every((i) => i.hasSynced()) ? computePodScope(cfg.nodeName, sources.nodes.get(cfg.nodeName), sources.pools.list(),
      [...sources.policies.list(), ...sources.clusterPolicies.list()]) : undefined),
  });
  for (const inf of scopeInputs) inf.on('change', () => pods.refreshSoon());
  const informers = Object.values(sources) as Informer<KubernetesObject>[];
  const settings = { nodeName: cfg.nodeName, mode: cfg.mode, clusterCIDRs: cfg.clusterCIDRs, ranges: cfg.ranges, standbysPerIP: cfg.standbysPerIP };
  const badObjects = new BadObjectReporter(logger);
  const damage: { healer?: DamageHealer } = {}; // once the uplink is known
  const reporter = new KubeNodeReporter(kc, cfg.nodeName, () => sources.nodes.get(cfg.nodeName)?.metadata?.uid, logger);
  // the manager's signed orders (issue 16): a move acted on before its status reaches our watch
  const orders = new Orders(cfg.nodeName, () => clock.now());
  const agent = new Agent({
    clock, logger, metrics, fencing, resyncIntervalMs: cfg.resyncIntervalMs, leaseMs: cfg.leaseMs,
    claimLeaseMs: () => fence.leaseRemainingMs(),
    onHealed: (kinds) => damage.healer?.healed(kinds),
    onSynced: (state, fenced) => reporter.publish(computeNodeReport(state, fenced)),
    inputs: (extra) => {
      if (!pods.complete()) return null; // a gateway-to-be waits for all pods before it computes
      const { input, bad } = computeAgentInputs(snapshotOf(sources), settings, extra);
      badObjects.report(bad);
      return input && orders.size ? { ...input, policies: orders.apply(input.policies) } : input;
    },
  });
  for (const inf of informers) {
    inf.on('change', () => agent.markDirty('event'));
    inf.start();
  }
  void waitForCaches(scopeInputs, logger).then(() => pods.refresh());
  // only probes signed with the managers' key, vouching and in time, renew the kernel lease (issue 14)
  const lease = new LeaseKeeper({
    clock, table: familyLeaseTable(kernel.lease!, kernel6.lease!), held: () => agent.heldAddresses,
    settings: { leaseMs: cfg.leaseMs, lateToleranceMs: cfg.leaseLateToleranceMs, restartLeaseMs: cfg.restartLeaseMs, windowMs: cfg.fenceAfterMs },
    onLapsed: (ips) => agent.leasesLapsed(ips),
    onError: (e) => logger.error({ err: e }, 'could not renew the kernel lease'),
  });
  const verifier = new ProbeVerifier({ key: loadProbeKey(cfg.probeKeyFile!), node: cfg.nodeName });
  const http = await startHttpServer({
    host: cfg.httpHost, port: cfg.httpPort, registry,
    readyz: () => (informers.every((i) => i.hasSynced()) && agent.synced) || 'not synced yet',
    routes: {
      // what the manager probes: the egress IPs actually on the uplink (release confirmation); a
      // probe from elsewhere is contact for self-fencing
      '/healthz': healthzRoute({
        fence: fencing, verifier, lease: Object.assign(lease, { restartLeaseMs: cfg.restartLeaseMs }), now: () => clock.now(),
        held: () => agent.heldAddresses, fenced: () => agent.fenced,
        onRefused: (reason) => logger.debug({ reason }, 'a probe with a bad signature is no contact'),
        onOrder: (order, sentAt) => {
          orders.record(order, sentAt, holdersOfStatuses(cachedPolicies()));
          fencing.ordered(order.claim);
          logger.info({ ...order, sentAt }, 'the manager ordered a move on its probe');
          // a standby claims at once; the pass below does the rest (guard, flows of an earlier tenure)
          if (order.claim.length) void agent.claimFromOrder(order.claim).catch((e: Error) => logger.warn({ err: e }, 'claim from the order failed: the pass claims'));
          // a release is answered once its addresses are gone: the next holder's claim follows the answer
          const released = () => order.claim.length === 0 && order.release.every((ip) => !agent.heldAddresses?.has(ip));
          return agent.passSoon(released);
        },
      }),
    },
  });
  logger.info({ addr: `${http.host}:${http.port}`, node: cfg.nodeName, mode: cfg.mode }, 'node-agent starting');

  await waitForCaches(informers, logger);
  const nodeIP = await waitForNodeIP(sources.nodes, cfg.nodeName, logger);
  const uplink = cfg.uplink ?? await findUplink(nodeIP, (f) => (f === 4 ? kernel.interfaceAddresses() : interfaceAddresses6()));
  if (!uplink) throw new Error(`no interface holds the Node's InternalIP ${nodeIP}; pass --uplink`);
  const render = renderConfigOf(cfg, uplink);
  await kernel.setArpAnnounce(uplink, 2);
  const syncer = new NodeSyncer(kernel, { render, ranges: cfg.ranges });
  const v6 = ipv6DataPlane(sources.nodes.get(cfg.nodeName), withIPv6Tunnel(kernel6), render, cfg.ranges);
  if (v6) kernel6.prepareAnnouncements(uplink); // the first unsolicited NA as fast as the first GARP
  agent.start({ syncer, render, ...(v6 ? { v6 } : {}) }); // the first sync reads the kernel: startup reconcile
  // heal by events (issue 12): kernel notifications ask for a full sync; repeats back off and raise an Event
  const nodeEvents = new KubeNodeEvents(kc, cfg.nodeName, () => sources.nodes.get(cfg.nodeName)?.metadata?.uid);
  const healer = damage.healer = new DamageHealer({
    clock,
    names: {
      uplink, vxlanDevice: render.vxlanDevice, guardTable: guardTable(render), ranges: cfg.ranges,
      ...(v6 ? { ipv6: { guardTable: guardTable(v6.render), vxlanDevice: v6.render.vxlanDevice } } : {}), // issue 11
    },
    heal: (reason) => agent.markDamaged(reason),
    alert: (kind, repeats) => {
      logger.error({ kind, repeats }, 'another program keeps damaging our kernel state: repairs back off');
      nodeEvents.damageRepeated(kind, repeats).catch((e: Error) => logger.warn({ err: e }, 'could not record the damage Event'));
    },
  });
  const monitor = new LinuxChangeMonitor({
    onLine: (source, line) => healer.onLine(source, line), pollMs: cfg.damagePollMs, legacyIptables: backend === 'legacy', ipv6: !!v6,
    onError: (e) => logger.warn({ err: e }, 'kernel change monitor'),
  });
  monitor.start();
  // the egress audit log (issue 10 §5): off unless --audit-log
  const audit = cfg.audit && await startLinuxAuditLog(cfg.audit, { clock, logger, node: cfg.nodeName, pods: sources.pods, held: () => agent.heldAddresses });
  logger.info({ uplink, nodeIP }, 'node-agent running');

  exitOnSignal({
    logger,
    message: cfg.cleanupOnExit ? 'stopping: removing the data path' : 'stopping: the data path stays in place',
    fields: { cleanup: cfg.cleanupOnExit },
    steps: [
      ['monitor', () => { monitor.stop(); healer.stop(); }],
      ['audit log', () => audit?.stop()],
      ['agent', () => agent.stop()],
      ['informers', () => Promise.all(informers.map((i) => i.stop()))],
      ...(cfg.cleanupOnExit ? [['cleanup', () => syncer.cleanup().then(() => v6?.syncer.cleanup())] as const]
        // the data path stays: its leases are stretched over the restart the manager waits out
        : [['restart lease', () => lease.stretchForRestart()] as const]),
      // Programmed turns False naming this node until an agent runs here again
      ['report', () => reporter.stop({ cleaned: cfg.cleanupOnExit, timeoutMs: 2_000 })],
      ['http', () => http.close()],
      ['kernel', () => { kernel.close(); kernel6.close(); }],
    ],
  });
}

/** The host's IPv6 addresses (an IPv6-only node's uplink is found by its IPv6 InternalIP). */
async function interfaceAddresses6(): Promise<InterfaceAddress[]> {
  const nl = new LinuxNetlink(() => undefined, undefined, 6);
  return nl.interfaceAddresses().finally(() => nl.close());
}

main().catch((err: unknown) => {
  process.stderr.write(`node-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
