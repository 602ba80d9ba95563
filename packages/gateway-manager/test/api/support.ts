// Helpers for the manager's api suites: agent stand-ins on loopback addresses, Node/Pod objects with
// status, manager processes authenticated as the shipped ServiceAccount.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, CoordinationV1Api, type KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { GATEWAY_LABEL, GROUP, LEASE_NAME, SEIP_PLURAL, SYSTEM_NAMESPACE, VERSION, type StaticEgressIP } from '@static-egress/crds';
import { REPO_ROOT, type Cluster } from '../../../../e2e/src/k8s/index.js';

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A node agent's /healthz on 127.0.0.N:port. close() is an agent that stopped (its host refuses the
 * connection, as while it restarts); hang() is a node that is gone (nothing answers, probes time out).
 */
export class FakeAgent {
  private server: Server | undefined;
  private hung = false;
  constructor(readonly address: string, readonly port: number) {}

  /** Requests are accepted and never answered until resume(). */
  hang(): void {
    this.hung = true;
  }

  resume(): void {
    this.hung = false;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (this.hung) return;
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.address, () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

export async function createNode(kc: KubeConfig, name: string, internalIP: string, opts: { extraAddress?: string; labels?: Record<string, string> } = {}): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNode({ body: { metadata: { name, labels: { [GATEWAY_LABEL]: '', ...opts.labels } } } });
  await setNodeStatus(kc, name, internalIP, true, opts.extraAddress);
}

export async function setNodeStatus(kc: KubeConfig, name: string, internalIP: string, ready: boolean, extraAddress?: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name });
  const now = new Date();
  node.status = {
    addresses: [{ type: 'InternalIP', address: internalIP }, ...(extraAddress ? [{ type: 'ExternalIP', address: extraAddress }] : [])],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: 'set by test', lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await core.replaceNodeStatus({ name, body: node });
}

export async function createRunningPod(kc: KubeConfig, namespace: string, name: string, labels: Record<string, string>, nodeName: string, podIP: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace,
    body: { metadata: { name, namespace, labels }, spec: { nodeName, containers: [{ name: 'c', image: 'pause' }] } },
  });
  const pod = await core.readNamespacedPod({ name, namespace });
  pod.status = { phase: 'Running', podIP, podIPs: [{ ip: podIP }] };
  await core.replaceNamespacedPodStatus({ name, namespace, body: pod });
}

export async function createPolicy(kc: KubeConfig, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: SEIP_PLURAL, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'StaticEgressIP', metadata: { name, namespace }, spec } });
}

export async function getPolicy(kc: KubeConfig, namespace: string, name: string): Promise<StaticEgressIP> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: SEIP_PLURAL, name })) as StaticEgressIP;
}

export function condition(p: StaticEgressIP, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}

export async function policyEvents(kc: KubeConfig, namespace: string, name: string): Promise<CoreV1Event[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

export async function leaseHolder(kc: KubeConfig): Promise<string> {
  const api = kc.makeApiClient(CoordinationV1Api);
  try {
    const lease = await api.readNamespacedLease({ name: LEASE_NAME, namespace: SYSTEM_NAMESPACE });
    return lease.spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

/** Namespace, ServiceAccount and RBAC exactly as shipped in manifests/; returns the SA kubeconfig. */
export async function installManagerRBAC(cluster: Cluster): Promise<string> {
  await cluster.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/namespace.yaml'), '-f', join(REPO_ROOT, 'manifests/rbac/manager.yaml')]);
  return cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE, 'static-egress-manager');
}

export interface ManagerProcess {
  identity: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
  log(): string;
}

export function spawnManager(opts: { kubeconfig: string; identity: string; agentPort: number; httpPort: number; dir: string; extra?: string[]; env?: Record<string, string> }): ManagerProcess {
  const logPath = join(opts.dir, `manager-${opts.identity}.log`);
  const out = createWriteStream(logPath);
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', 'packages/gateway-manager/src/main.ts',
      '--kubeconfig', opts.kubeconfig,
      '--identity', opts.identity,
      '--agent-port', String(opts.agentPort),
      '--http-addr', `127.0.0.1:${opts.httpPort}`,
      '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms',
      '--probe-interval', '100ms', '--probe-timeout', '200ms', '--probe-failure-threshold', '3',
      '--release-grace', '500ms', '--agent-restart-grace', '3s',
      ...(opts.extra ?? []),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'debug', ...opts.env } },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  // A manager must never outlive the test process, whatever happens to the hooks.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    process.off('exit', killOnExit);
    resolve(code);
  }));
  return { identity: opts.identity, child, logPath, exited, log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(no log: ' + logPath + ' is gone)') };
}

export async function stopManager(m: ManagerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!m || m.child.exitCode !== null || m.child.signalCode !== null) return;
  m.child.kill(signal);
  const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
  await m.exited;
  clearTimeout(timer);
}
