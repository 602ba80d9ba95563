// gateway-manager: wiring only. Informers run in every replica (a standby keeps its caches warm so
// a takeover is fast); the controller runs only while this replica leads, the prober until another leads.
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  FlagError,
  parseOrExit,
  ThreadedLeaderElector,
  createClusterSources,
  createLogger,
  createRegistry,
  exitOnSignal,
  addrFlag,
  durationFlag,
  intFlag,
  loadKubeConfig,
  loadProbeKey,
  parseFlags,
  orderHoldMs,
  probeHeaders,
  realClock,
  startHttpServer,
  waitForCacheSync,
  type Informer,
  type Logger,
  type ProbeKey,
  type ProbeOrder,
} from '@static-egress/controller-kit';
import { AGENT_HEALTH_PORT, LEASE_NAME, MANAGER_HTTP_PORT, PROBE_KEY_SECRET, SYSTEM_NAMESPACE } from '@static-egress/crds';
import { AwsProvider, createEC2Client } from './cloud/aws.js';
import { KubeNodeAnnotator } from './cloud/node-annotator.js';
import { CloudSync } from './cloud/sync.js';
import { Controller, type ControllerOptions } from './controller/controller.js';

type ControllerCloud = NonNullable<ControllerOptions['cloud']>;
import { KubeEventRecorder, KubeStatusWriter } from './controller/kube-writer.js';
import { KubeNamespaceIPAM } from './ipam/kube-namespaces.js';
import { NamespaceIPAMSync } from './ipam/sync.js';
import { createNodeReportInformer } from './controller/report-source.js';
import { ensureProbeKey, kubeSecretStore } from './health/probe-key.js';
import { NodeProber, httpProbe } from './health/prober.js';
import { clearLeaderGauges, createManagerMetrics, type ManagerMetrics } from './metrics.js';

/** How long a self-fenced gateway may take its IPs back (it announces nothing meanwhile) before they move. */
const FENCED_GRACE_MS = 2_000;
/** How long a gateway whose kernel answers while its agent does not keeps its IPs (its kernel forwards). */
const STALLED_GRACE_MS = 2_000;
/** A probe stops vouching once an earlier one waits longer than this many times the slowest recent answer. */
const SUSPECT_RTT_FACTOR = 3;

interface Config {
  kubeconfig?: string;
  identity: string;
  namespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  probeFailureThreshold: number;
  agentPort: number;
  httpHost: string;
  httpPort: number;
  releaseGraceMs: number;
  agentRestartGraceMs: number;
  /** the Secret (in --namespace) holding the key that signs probes; created if missing */
  probeKeySecret: string;
  /** or the key itself, from a file (a mounted Secret) */
  probeKeyFile?: string;
  /** cloud mode (issue 13): egress IPs are also addresses of the gateways' cloud interfaces */
  cloudProvider?: 'aws';
  cloudResyncMs: number;
  awsRegion?: string;
  /** an EC2 endpoint other than AWS's (tests: moto) */
  awsEndpoint?: string;
}

const FLAGS = {
  kubeconfig: { type: 'string' },
  identity: { type: 'string' },
  namespace: { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'probe-interval': { type: 'string' },
  'probe-timeout': { type: 'string' },
  'probe-failure-threshold': { type: 'string' },
  'agent-port': { type: 'string' },
  'http-addr': { type: 'string' },
  'release-grace': { type: 'string' },
  'agent-restart-grace': { type: 'string' },
  'probe-key-secret': { type: 'string' },
  'probe-key-file': { type: 'string' },
  'cloud-provider': { type: 'string' },
  'cloud-resync': { type: 'string' },
  'aws-region': { type: 'string' },
  'aws-endpoint': { type: 'string' },
} as const;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const v = parseFlags(argv, FLAGS);
  const int = (flag: keyof typeof FLAGS, fallback: number, min: number, max: number) => intFlag(v, flag, fallback, min, max);
  // every family (an IPv6-only cluster's kubelet probes the pod's IPv6 address; issue 11)
  const http = addrFlag(v, 'http-addr', `[::]:${MANAGER_HTTP_PORT}`);
  const cfg: Config = {
    identity: v.identity ?? env['POD_NAME'] ?? hostname(),
    namespace: v.namespace ?? SYSTEM_NAMESPACE,
    leaseDurationMs: durationFlag(v, 'lease-duration', '3s'),
    renewDeadlineMs: durationFlag(v, 'renew-deadline', '2s'),
    retryPeriodMs: durationFlag(v, 'retry-period', '500ms'),
    probeIntervalMs: durationFlag(v, 'probe-interval', '20ms'),
    probeTimeoutMs: durationFlag(v, 'probe-timeout', '50ms'),
    probeFailureThreshold: int('probe-failure-threshold', 4, 1, 100),
    agentPort: int('agent-port', AGENT_HEALTH_PORT, 1, 65535),
    httpHost: http.host,
    httpPort: http.port,
    releaseGraceMs: durationFlag(v, 'release-grace', '2s'),
    // An agent port refusing connections means the host is up and forwarding: its agent restarts.
    agentRestartGraceMs: durationFlag(v, 'agent-restart-grace', '10s'),
    probeKeySecret: v['probe-key-secret'] ?? PROBE_KEY_SECRET,
    cloudResyncMs: durationFlag(v, 'cloud-resync', '30s'),
  };
  if (v.kubeconfig !== undefined) cfg.kubeconfig = v.kubeconfig;
  if (v['probe-key-file'] !== undefined) cfg.probeKeyFile = v['probe-key-file'];
  const cloud = v['cloud-provider'];
  if (cloud !== undefined && cloud !== 'aws') throw new FlagError(`--cloud-provider: ${cloud} is not supported (aws)`);
  if (cloud === 'aws') cfg.cloudProvider = cloud;
  if (v['aws-region'] !== undefined) cfg.awsRegion = v['aws-region'];
  if (v['aws-endpoint'] !== undefined) cfg.awsEndpoint = v['aws-endpoint'];
  if (!(cfg.leaseDurationMs > cfg.renewDeadlineMs && cfg.renewDeadlineMs > cfg.retryPeriodMs)) {
    throw new FlagError('--lease-duration, --renew-deadline, --retry-period: need lease-duration > renew-deadline > retry-period');
  }
  if (cfg.probeIntervalMs <= 0 || cfg.probeTimeoutMs <= 0) throw new FlagError('--probe-interval, --probe-timeout: must be positive');
  return cfg;
}

// the key that signs our probes: only a signed probe keeps a gateway's kernel lease (issue 14)
async function resolveProbeKey(cfg: Config, kc: KubeConfig, logger: Logger): Promise<ProbeKey> {
  if (cfg.probeKeyFile) return loadProbeKey(cfg.probeKeyFile);
  const { key, created } = await ensureProbeKey(kubeSecretStore(kc, cfg.namespace), cfg.probeKeySecret);
  logger.info({ secret: `${cfg.namespace}/${cfg.probeKeySecret}`, created }, created ? 'created the probe key Secret' : 'probe key read from its Secret');
  return key;
}

// cloud mode: the provider's calls and the capacity annotation; credentials from the SDK's chain
function createCloud(cfg: Config, kc: KubeConfig, logger: Logger, metrics: ManagerMetrics): ControllerCloud | undefined {
  if (cfg.cloudProvider !== 'aws') return undefined;
  const client = createEC2Client({ ...(cfg.awsRegion ? { region: cfg.awsRegion } : {}), ...(cfg.awsEndpoint ? { endpoint: cfg.awsEndpoint } : {}) });
  const provider = new AwsProvider({ client, onCall: (action, ok) => metrics.cloudCalls.inc({ action, result: ok ? 'success' : 'error' }) });
  logger.info({ provider: provider.name, region: cfg.awsRegion, endpoint: cfg.awsEndpoint }, 'cloud mode');
  return { sync: new CloudSync({ provider, clock: realClock, logger, resyncMs: cfg.cloudResyncMs }), annotator: new KubeNodeAnnotator(kc) };
}

// eslint-disable-next-line max-lines-per-function -- wiring only, in start order; the leader callbacks share the controller and prober they start and stop
async function main(): Promise<void> {
  const cfg = parseOrExit('gateway-manager', () => parseConfig(process.argv.slice(2)));
  const logger = createLogger('gateway-manager');
  const kc = loadKubeConfig(cfg.kubeconfig);
  const registry = createRegistry();
  const metrics = createManagerMetrics(registry);
  const probeKey = await resolveProbeKey(cfg, kc, logger);
  const cloud = createCloud(cfg, kc, logger, metrics);
  const sources = createClusterSources(kc, logger, registry);
  const informers = Object.values(sources) as Informer<never>[];
  for (const inf of informers) inf.start();
  const reports = createNodeReportInformer(kc, logger, registry); // not in readyz: an install without the CRD still runs
  reports.start();

  const http = await startHttpServer({
    host: cfg.httpHost,
    port: cfg.httpPort,
    registry,
    healthz: () => true,
    readyz: () => informers.every((i) => i.hasSynced()) || 'informer caches not synced',
  });
  logger.info({ addr: `${http.host}:${http.port}`, identity: cfg.identity }, 'gateway-manager started');

  // The controller runs only while this replica leads. The prober outlives a lost lease until another
  // replica is seen holding it: when the API server is down nobody can lead, and without probes every
  // gateway would fence itself and take egress down with the API (the data path must not depend on
  // the control plane). Nothing moves meanwhile, since no controller runs.
  let controller: Controller | undefined;
  let prober: NodeProber | undefined;
  // an agent reported, or the reports became readable: Programmed may flip
  reports.on('change', () => controller?.healthChanged());
  void waitForCacheSync([reports], 3_600_000).then(() => controller?.healthChanged(), () => undefined);
  const stopController = async () => {
    const c = controller;
    controller = undefined;
    await c?.stop();
  };
  const stopProbing = () => {
    prober?.stop();
    prober = undefined;
  };
  const ensureProber = (): NodeProber =>
    (prober ??= new NodeProber({
      clock: realClock,
      fetch: httpProbe,
      port: cfg.agentPort,
      intervalMs: cfg.probeIntervalMs,
      timeoutMs: cfg.probeTimeoutMs,
      failureThreshold: cfg.probeFailureThreshold,
      refusedGraceMs: cfg.agentRestartGraceMs,
      // a gateway that missed the probes for its lease (a leader change) fences, then takes its IPs back
      fencedGraceMs: FENCED_GRACE_MS,
      // issue 16: only a node whose kernel is silent is lost at once; the vouching follows the round trips
      stalledGraceMs: STALLED_GRACE_MS,
      suspectRttFactor: SUSPECT_RTT_FACTOR,
      authenticate: (node, claims) => probeHeaders(probeKey, node, Date.now(), claims),
      onChange: (node, healthy, why) => {
        logger.info({ node, healthy, ...(why ? { why } : {}) }, healthy ? 'gateway agent healthy' : 'gateway agent unhealthy');
        if (!healthy) metrics.nodeUnreachable.inc({ node });
        controller?.healthChanged();
      },
      onFailure: (node) => metrics.probeFailures.inc({ node }),
      // a planned move's old holder reports the IP gone: hand it over now, not at the release requeue
      onHeld: (node, held) => controller?.heldReported(node, held),
    }));
  const orderHold = orderHoldMs(cfg.leaseDurationMs, cfg.renewDeadlineMs);
  if (orderHold === 0) logger.warn({ leaseDurationMs: cfg.leaseDurationMs, renewDeadlineMs: cfg.renewDeadlineMs }, 'no orders on the probe channel: --lease-duration minus --renew-deadline leaves no safe hold (moves wait for the status)');
  // on its own thread and connection, so a long pass never costs the Lease (issue 16 §4)
  const elector = new ThreadedLeaderElector({
    ...(cfg.kubeconfig !== undefined ? { kubeconfig: cfg.kubeconfig } : {}),
    loggerName: 'gateway-manager',
    namespace: cfg.namespace,
    name: LEASE_NAME,
    identity: cfg.identity,
    leaseDurationMs: cfg.leaseDurationMs,
    renewDeadlineMs: cfg.renewDeadlineMs,
    retryPeriodMs: cfg.retryPeriodMs,
    logger,
    leaderGauge: metrics.isLeader,
    // a replica whose election thread died could never lead again: exit, its kubelet restarts it (the
    // thread's Lease runs out on its own; the agents' data path does not depend on this process)
    onThreadExit: () => process.exit(1),
    onStartedLeading: async () => {
      await waitForCacheSync(informers, 60_000);
      if (!elector.isLeader() || controller) return;
      const c = new Controller({
        sources,
        status: new KubeStatusWriter(kc),
        events: new KubeEventRecorder(kc, cfg.identity),
        health: ensureProber(),
        // a move's fast path (issue 16): the new and old holder hear it on a probe before the status is
        // written; each order holds less than a deposed leader could still act (none if that is too short)
        ...(orderHold > 0 ? { order: (node: string, order: ProbeOrder) => prober?.order(node, { ...order, holdMs: orderHold }) } : {}),
        clock: realClock,
        logger,
        metrics,
        reports,
        namespaceIPAM: new NamespaceIPAMSync(new KubeNamespaceIPAM(kc, cfg.identity), logger),
        releaseGraceMs: cfg.releaseGraceMs,
        ...(cloud ? { cloud } : {}),
      });
      controller = c;
      c.start();
      logger.info({ identity: cfg.identity }, 'leading: assigning egress IPs');
    },
    onStoppedLeading: async () => {
      logger.warn({ identity: cfg.identity, probing: prober !== undefined },
        'lost leadership: standing by (agent probes continue until another replica leads)');
      await stopController();
      clearLeaderGauges(metrics);
    },
    onNewLeader: (id) => {
      if (id && id !== cfg.identity && prober) {
        logger.info({ leader: id }, 'another replica leads: stopping agent probes');
        stopProbing();
      }
    },
  });
  elector.start();

  exitOnSignal({
    logger,
    message: 'shutting down',
    steps: [
      ['controller', stopController],
      ['prober', stopProbing],
      ['lease', () => elector.release()],
      ['informers', () => Promise.all([...informers, reports].map((i) => i.stop()))],
      ['http', () => http.close()],
    ],
  });
}

// not in the leader election's worker thread, which runs this file too when bundled (lease-thread.ts)
if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`gateway-manager: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
