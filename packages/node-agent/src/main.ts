// node-agent: wiring only. See docs/CONTRACTS.md for the flags and DESIGN §3, §5, §6.
import { CoreV1Api } from '@kubernetes/client-node';
import {
  BadObjectReporter, createClusterSources, createLogger, parseOrExit, createRegistry, loadKubeConfig, realClock, snapshotOf, startHttpServer, waitForCacheSync, type Informer,
} from '@static-egress/controller-kit';
import { execa } from 'execa';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Agent } from './agent/agent.js';
import { apiConfirmHeld } from './agent/confirm.js';
import { Fence } from './agent/fence.js';
import { healthzRoute } from './agent/health.js';
import { computeAgentInputs, nodeInternalIP } from './agent/inputs.js';
import { type AgentConfig, parseAgentConfig, renderConfigOf } from './config.js';
import { addressLabel, createLinuxKernel } from './kernel/linux.js';
import { createAgentMetrics } from './metrics.js';
import { emptyEgressCounters, readEgressCounters } from './reconcile/counters.js';
import { NodeSyncer } from './reconcile/syncer.js';

interface IpAddrJSON { ifname: string; addr_info?: { local?: string; label?: string }[] }

async function interfaceAddresses(): Promise<IpAddrJSON[]> {
  return JSON.parse(String((await execa('ip', ['-j', '-4', 'addr'])).stdout) || '[]') as IpAddrJSON[];
}

async function uplinkFor(ip: string): Promise<string | undefined> {
  return (await interfaceAddresses()).find((l) => l.addr_info?.some((a) => a.local === ip))?.ifname;
}

/** `--cleanup`: everything of ours, on the given uplink or on every interface carrying our label. */
async function cleanup(cfg: AgentConfig): Promise<void> {
  const devs = cfg.uplink ? [cfg.uplink]
    : (await interfaceAddresses()).filter((l) => l.addr_info?.some((a) => a.label && a.label === addressLabel(l.ifname))).map((l) => l.ifname);
  const kernel = createLinuxKernel();
  try {
    for (const dev of devs.length ? devs : ['lo']) {
      await new NodeSyncer(kernel, { render: renderConfigOf(cfg, dev), ranges: cfg.ranges }).cleanup();
    }
  } finally {
    kernel.close();
  }
}

async function main(): Promise<void> {
  const cfg = parseOrExit('node-agent', () => parseAgentConfig(process.argv.slice(2)));
  const logger = createLogger('node-agent');
  if (cfg.cleanup) {
    await cleanup(cfg);
    logger.info({}, 'cleanup done: no chain, set, rule, route, address or tunnel of ours is left');
    return;
  }

  const clock = realClock;
  const kc = loadKubeConfig(cfg.kubeconfig);
  const registry = createRegistry();
  const fence = new Fence(clock, cfg.fenceAfterMs);
  const sources = createClusterSources(kc, logger, registry);
  const informers = Object.values(sources) as Informer<KubernetesObject>[];
  const ref: { agent?: Agent; syncer?: NodeSyncer } = {}; // informers start before the agent exists
  for (const inf of informers) {
    inf.on('change', () => {
      fence.contact('apiserver');
      ref.agent?.markDirty('event');
    });
    inf.start();
  }
  let localIPs = new Set<string>();
  let countersOf: () => ReturnType<typeof readEgressCounters> = async () => emptyEgressCounters();
  const metrics = createAgentMetrics(registry, () => countersOf());
  const http = await startHttpServer({
    host: cfg.httpHost, port: cfg.httpPort, registry,
    readyz: () => (informers.every((i) => i.hasSynced()) && ref.agent?.synced) || 'not synced yet',
    routes: {
      // what the manager probes: the egress IPs actually on the uplink (release confirmation); a
      // probe from elsewhere is contact for self-fencing
      '/healthz': healthzRoute({
        fence, localIPs: () => localIPs, held: () => ref.syncer?.heldAddresses ?? null, fenced: () => ref.agent?.fenced ?? false,
      }),
    },
  });
  logger.info({ addr: `${http.host}:${http.port}`, node: cfg.nodeName, mode: cfg.mode }, 'node-agent starting');

  // The API server counts as reachable while reading our own Node works, even when no event flows;
  // only a gateway (a node holding egress IPs) asks, so a large cluster pays for its gateways only.
  const core = kc.makeApiClient(CoreV1Api);
  const heartbeat = setInterval(() => {
    if (!ref.agent?.lastState?.gateway.length) return;
    core.readNode({ name: cfg.nodeName }).then(() => fence.contact('apiserver'), () => undefined);
  }, Math.max(200, Math.floor(cfg.fenceAfterMs / 3)));

  for (;;) {
    try {
      await waitForCacheSync(informers, 60_000);
      break;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'waiting for informer caches');
    }
  }
  let nodeIP: string | undefined;
  while (!(nodeIP = nodeInternalIP(sources.nodes.get(cfg.nodeName)))) {
    logger.warn({ node: cfg.nodeName }, 'waiting for this Node and its InternalIP');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const uplink = cfg.uplink ?? (await uplinkFor(nodeIP));
  if (!uplink) throw new Error(`no interface holds the Node's InternalIP ${nodeIP}; pass --uplink`);
  localIPs = new Set((await interfaceAddresses()).flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')));
  const render = renderConfigOf(cfg, uplink);
  const kernel = createLinuxKernel({
    onGarpError: (e) => logger.error({ err: e.message }, 'arping failed'),
    onNetlinkError: (e) => logger.error({ err: e.message }, 'netlink socket error (the sync in flight fails and a full resync follows)'),
  });
  countersOf = () => readEgressCounters(kernel.iptables, cfg.chainPrefix);
  const syncer = new NodeSyncer(kernel, { render, ranges: cfg.ranges });
  ref.syncer = syncer;
  const settings = { nodeName: cfg.nodeName, mode: cfg.mode, clusterCIDRs: cfg.clusterCIDRs, ranges: cfg.ranges };
  const badObjects = new BadObjectReporter(logger);
  const agent = new Agent({
    clock, logger, syncer, metrics, render, fence, resyncIntervalMs: cfg.resyncIntervalMs,
    confirmHeld: apiConfirmHeld(kc, cfg.nodeName),
    inputs: (extra) => {
      const { input, bad } = computeAgentInputs(snapshotOf(sources), settings, extra);
      badObjects.report(bad);
      return input;
    },
  });
  ref.agent = agent;
  agent.start(); // the first sync reads the kernel: startup reconcile
  logger.info({ uplink, nodeIP }, 'node-agent running');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, cleanup: cfg.cleanupOnExit }, cfg.cleanupOnExit ? 'stopping: removing the data path' : 'stopping: the data path stays in place');
    clearInterval(heartbeat);
    await agent.stop();
    for (const inf of informers) await inf.stop();
    if (cfg.cleanupOnExit) await syncer.cleanup().catch((e: Error) => logger.error({ err: e.message }, 'cleanup failed'));
    kernel.close();
    await http.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`node-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
