// A throwaway Kubernetes control plane for api tests and the lab: etcd + kube-apiserver on free
// 127.0.0.1 ports, RBAC on, a local PKI, and TokenRequest-capable ServiceAccounts. No
// controller-manager or scheduler runs: nothing creates `default` ServiceAccounts, finishes
// namespace deletion, garbage-collects or schedules pods, so callers create what they need.
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipv4FromInt, parseCIDRv4 } from '@static-egress/crds';
import { stringify } from 'yaml';
import { REPO_ROOT, resolveK8sBinaries, type K8sBinaries } from './binaries.js';
import { Daemon, onProcessExit } from './daemon.js';
import { createClientCert, createPki, pemBase64, type Pki } from './pki.js';
import { DIR_PREFIX, recordOwner, sweepStaleClusters } from './stale.js';

export interface ClusterOptions {
  /** Service ClusterIP range; the first address becomes the `kubernetes` Service IP. */
  serviceCIDR?: string;
  /** Extra kube-apiserver flags, appended last (later flags win). */
  apiServerArgs?: string[];
  /** How long to wait for /readyz after each (re)start. Default 180 s (shared, slow machines). */
  readyTimeoutMs?: number;
  /** No progress lines on stderr. */
  quiet?: boolean;
}

export interface KubectlOptions {
  input?: string;
  /** Kubeconfig to act as (default: admin). */
  kubeconfig?: string;
  /** Throw on a non-zero exit (default true). */
  reject?: boolean;
  timeoutMs?: number;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ServiceAccountKubeconfigOptions {
  /** Server URL written into the kubeconfig, e.g. a relay address seen from a lab namespace. */
  server?: string;
  /** Token lifetime as kubectl takes it (default 24h). */
  duration?: string;
}

export interface Cluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly port: number;
  /** Temporary directory holding PKI, etcd data, logs and generated kubeconfigs. */
  readonly dir: string;
  readonly adminKubeconfigPath: string;
  readonly caCertPath: string;
  readonly logs: { etcd: string; apiServer: string };
  readonly binaries: K8sBinaries;
  /** A fresh client-node KubeConfig for the admin (system:masters). */
  kubeConfig(): KubeConfig;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Applies packages/crds/schema/*.yaml and waits until each CRD is Established. */
  applyCRDs(): Promise<void>;
  /** Creates (or relabels) a namespace and its `default` ServiceAccount, which pod admission requires. */
  ensureNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Creates the ServiceAccount if needed and returns a TokenRequest token for it. */
  serviceAccountToken(namespace: string, name: string, opts?: { duration?: string }): Promise<string>;
  /** Writes a kubeconfig authenticating as the ServiceAccount (bearer token + CA); returns its path. */
  serviceAccountKubeconfig(namespace: string, name: string, opts?: ServiceAccountKubeconfigOptions): Promise<string>;
  /** Writes a kubeconfig authenticating with a client certificate for `user` in `groups`; returns its path. */
  userKubeconfig(user: string, groups?: string[], opts?: { server?: string }): Promise<string>;
  /** Stops kube-apiserver (connections refused); etcd and all data stay. */
  stopApiServer(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Starts kube-apiserver again on the same port and etcd, and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** SIGSTOP: the port stays open but nothing answers (requests hang, watches go silent). */
  pauseApiServer(): void;
  resumeApiServer(): void;
  pids(): { etcd?: number; apiServer?: number };
  /** Kills kube-apiserver then etcd and removes the directory (logs kept with keepLogs). Idempotent. */
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

const CRD_DIR = join(REPO_ROOT, 'packages/crds/schema');

export async function freePorts(count: number): Promise<number[]> {
  // All listeners stay open until every port is known, so the kernel cannot hand one out twice.
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>(
    (resolve, reject) => { const s = createServer(); s.once('error', reject); s.listen(0, '127.0.0.1', () => resolve(s)); })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function firstServiceIP(cidr: string): string {
  const c = parseCIDRv4(cidr);
  if (typeof c === 'string') throw new Error(`bad serviceCIDR ${cidr} (IPv4 only)`);
  return ipv4FromInt(c.network + 1);
}

function sleep(ms: number): Promise<void> { return new Promise((resolve) => setTimeout(resolve, ms)); }

class ClusterImpl implements Cluster {
  readonly server: string;
  readonly adminKubeconfigPath: string;
  readonly caCertPath: string;
  readonly logs: { etcd: string; apiServer: string };
  private readonly etcd: Daemon;
  private readonly etcdURL: string;
  private readonly apiServer: Daemon;
  private stopped = false;
  private readonly removeExitHook: () => void;

  constructor(readonly dir: string, readonly port: number, etcdPorts: [number, number],
    readonly binaries: K8sBinaries, private readonly pki: Pki, private readonly opts: Required<ClusterOptions>) {
    this.server = `https://127.0.0.1:${port}`;
    this.adminKubeconfigPath = join(dir, 'admin.kubeconfig');
    this.caCertPath = pki.caCert;
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'kubeconfigs'));
    this.logs = { etcd: join(dir, 'logs/etcd.log'), apiServer: join(dir, 'logs/kube-apiserver.log') };
    const [client, peer] = etcdPorts;
    const etcdURL = `http://127.0.0.1:${client}`;
    this.etcdURL = etcdURL;
    this.etcd = new Daemon('etcd', binaries.etcd, [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdURL}`, `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
      '--unsafe-no-fsync', '--log-level=warn',
    ], this.logs.etcd);
    const issuer = 'https://kubernetes.default.svc.cluster.local';
    this.apiServer = new Daemon('kube-apiserver', binaries.kubeApiServer, [
      `--etcd-servers=${etcdURL}`,
      '--bind-address=127.0.0.1', `--secure-port=${port}`, '--advertise-address=127.0.0.1',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${issuer}`,
      `--service-account-key-file=${pki.saPublicKey}`,
      `--service-account-signing-key-file=${pki.saPrivateKey}`,
      `--service-cluster-ip-range=${opts.serviceCIDR}`,
      // No controller-manager keeps the `kubernetes` Endpoints sane for a loopback address.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
      ...opts.apiServerArgs,
    ], this.logs.apiServer);
    this.removeExitHook = onProcessExit(() => this.removeSync(false));
  }

  async boot(): Promise<void> {
    const t0 = Date.now();
    this.etcd.start();
    this.record();
    await this.waitEtcd();
    this.progress(`etcd ready (${Date.now() - t0} ms)`);
    await this.startApiServer();
  }

  private progress(msg: string): void {
    if (!this.opts.quiet) process.stderr.write(`[k8s] ${msg}\n`);
  }

  private record(): void {
    recordOwner(this.dir, [this.etcd.pid, this.apiServer.pid].filter((p): p is number => p !== undefined));
  }

  private async waitEtcd(): Promise<void> {
    const deadline = Date.now() + this.opts.readyTimeoutMs;
    for (;;) {
      if (!this.etcd.running) throw new Error(`etcd exited (${this.etcd.exitReason}):\n${this.etcd.logTail()}`);
      try {
        const res = await fetch(`${this.etcdURL}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok && (await res.text()).includes('"true"')) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`etcd not healthy after ${this.opts.readyTimeoutMs} ms`);
      await sleep(100);
    }
  }

  private readyz(): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.server}/readyz`, {
        ca: this.pkiPem('caCert'), cert: this.pkiPem('adminCert'), key: this.pkiPem('adminKey'), timeout: 5000,
        agent: false,
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  private pemCache = new Map<string, Buffer>();
  private pkiPem(k: 'caCert' | 'adminCert' | 'adminKey'): Buffer {
    let v = this.pemCache.get(k);
    if (!v) { v = Buffer.from(pemBase64(this.pki[k]), 'base64'); this.pemCache.set(k, v); }
    return v;
  }

  private async waitReady(): Promise<void> {
    const t0 = Date.now();
    let last = 'no answer';
    let lastReport = t0;
    for (;;) {
      if (!this.apiServer.running) {
        throw new Error(`kube-apiserver exited (${this.apiServer.exitReason}):\n${this.apiServer.logTail()}`);
      }
      try {
        const r = await this.readyz();
        if (r.status === 200) return;
        last = `HTTP ${r.status}: ${r.body.split('\n').filter((l) => l.includes('failed')).join('; ')}`;
      } catch (err) {
        last = (err as Error).message;
      }
      const now = Date.now();
      if (now - t0 > this.opts.readyTimeoutMs) {
        throw new Error(`kube-apiserver not ready after ${this.opts.readyTimeoutMs} ms (last: ${last})`);
      }
      if (now - lastReport > 10_000) {
        this.progress(`waiting for /readyz (${Math.round((now - t0) / 1000)} s; last: ${last})`);
        lastReport = now;
      }
      await sleep(200);
    }
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.adminKubeconfigPath);
    return kc;
  }

  async kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    const r = await execa(this.binaries.kubectl, [
      `--kubeconfig=${opts.kubeconfig ?? this.adminKubeconfigPath}`,
      // Discovery cache per cluster: ports get reused, and $HOME stays untouched.
      `--cache-dir=${join(this.dir, 'kubectl-cache')}`,
      ...args,
    ], { input: opts.input, reject: opts.reject ?? true, timeout: opts.timeoutMs ?? 120_000, stripFinalNewline: true });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  }

  async applyCRDs(): Promise<void> {
    const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(CRD_DIR, f));
    if (files.length === 0) throw new Error(`no CRDs in ${CRD_DIR}`);
    const fileArgs = files.flatMap((f) => ['-f', f]);
    await this.kubectl(['apply', ...fileArgs]);
    await this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...fileArgs]);
  }

  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    const docs = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
    ];
    await this.kubectl(['apply', '-f', '-'], { input: docs.map((d) => stringify(d)).join('---\n') });
  }

  async serviceAccountToken(namespace: string, name: string, opts: { duration?: string } = {}): Promise<string> {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
    // create, not apply: apply would take over a ServiceAccount that a manifest owns.
    const r = await this.kubectl(['create', '-f', '-'], { input: stringify(sa), reject: false });
    if (r.exitCode !== 0 && !r.stderr.includes('AlreadyExists')) throw new Error(`creating ServiceAccount: ${r.stderr}`);
    const token = await this.kubectl(['create', 'token', name, '-n', namespace, `--duration=${opts.duration ?? '24h'}`]);
    return token.stdout.trim();
  }

  async serviceAccountKubeconfig(namespace: string, name: string,
    opts: ServiceAccountKubeconfigOptions = {}): Promise<string> {
    const token = await this.serviceAccountToken(namespace, name, opts);
    const user = `system:serviceaccount:${namespace}:${name}`;
    return this.writeKubeconfig(`sa-${namespace}-${name}`, opts.server, user, { token });
  }

  async userKubeconfig(user: string, groups: string[] = [], opts: { server?: string } = {}): Promise<string> {
    const c = await createClientCert(this.pki, user, groups);
    return this.writeKubeconfig(`user-${user}`, opts.server, user,
      { 'client-certificate-data': pemBase64(c.cert), 'client-key-data': pemBase64(c.key) });
  }

  private writeKubeconfig(base: string, server: string | undefined, user: string, auth: Record<string, string>): string {
    const suffix = server ? `-${server.replace(/[^a-zA-Z0-9]+/g, '_')}` : '';
    const path = join(this.dir, 'kubeconfigs', `${base.replace(/[^a-zA-Z0-9_.-]/g, '_')}${suffix}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml(server ?? this.server, pemBase64(this.caCertPath), user, auth), { mode: 0o600 });
    return path;
  }

  writeAdminKubeconfig(): void {
    writeFileSync(this.adminKubeconfigPath, kubeconfigYaml(this.server, pemBase64(this.caCertPath), 'admin', {
      'client-certificate-data': pemBase64(this.pki.adminCert), 'client-key-data': pemBase64(this.pki.adminKey),
    }), { mode: 0o600 });
  }

  async stopApiServer(opts: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    await this.apiServer.stop(opts.signal ?? 'SIGTERM');
  }

  async startApiServer(): Promise<void> {
    if (this.stopped) throw new Error('cluster is stopped');
    const t0 = Date.now();
    this.apiServer.start();
    this.record();
    this.progress(`kube-apiserver starting on ${this.server} (pid ${this.apiServer.pid}, log ${this.logs.apiServer})`);
    await this.waitReady();
    this.progress(`kube-apiserver ready (${Date.now() - t0} ms)`);
  }

  pauseApiServer(): void { this.apiServer.signal('SIGSTOP'); }
  resumeApiServer(): void { this.apiServer.signal('SIGCONT'); }

  pids(): { etcd?: number; apiServer?: number } {
    return {
      ...(this.etcd.running ? { etcd: this.etcd.pid } : {}),
      ...(this.apiServer.running ? { apiServer: this.apiServer.pid } : {}),
    };
  }

  async stop(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.apiServer.stop('SIGTERM', 10_000);
    await this.etcd.stop('SIGTERM', 5_000);
    this.removeSync(opts.keepLogs ?? false);
    this.removeExitHook();
  }

  /** Deletes the directory, or everything but logs/ when keeping logs. Processes must be dead. */
  removeSync(keepLogs: boolean): void {
    this.etcd.killSync();
    this.apiServer.killSync();
    if (!keepLogs) {
      rmSync(this.dir, { recursive: true, force: true });
      return;
    }
    for (const entry of readdirSync(this.dir)) {
      if (entry !== 'logs') rmSync(join(this.dir, entry), { recursive: true, force: true });
    }
    if (!this.opts.quiet) process.stderr.write(`[k8s] logs kept: ${this.logs.apiServer} ${this.logs.etcd}\n`);
  }
}

function kubeconfigYaml(server: string, caData: string, user: string, auth: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'static-egress', cluster: { server, 'certificate-authority-data': caData } }],
    users: [{ name: user, user: auth }],
    contexts: [{ name: 'static-egress', context: { cluster: 'static-egress', user } }],
    'current-context': 'static-egress',
  });
}

/** Starts a fresh etcd + kube-apiserver and resolves once /readyz answers 200. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const opts: Required<ClusterOptions> = {
    serviceCIDR: options.serviceCIDR ?? '203.0.113.224/27',
    apiServerArgs: options.apiServerArgs ?? [],
    readyTimeoutMs: options.readyTimeoutMs ?? 180_000,
    quiet: options.quiet ?? false,
  };
  const say = (m: string): void => { if (!opts.quiet) process.stderr.write(`[k8s] ${m}\n`); };
  const t0 = Date.now();
  sweepStaleClusters();
  const binaries = await resolveK8sBinaries();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  let cluster: ClusterImpl | undefined;
  try {
    const pki = await createPki(join(dir, 'pki'), firstServiceIP(opts.serviceCIDR));
    say(`certificates in ${dir}/pki (${Date.now() - t0} ms)`);
    const [apiPort, etcdClient, etcdPeer] = await freePorts(3) as [number, number, number];
    cluster = new ClusterImpl(dir, apiPort, [etcdClient, etcdPeer], binaries, pki, opts);
    cluster.writeAdminKubeconfig();
    await cluster.boot();
    say(`cluster up at ${cluster.server} in ${Date.now() - t0} ms (admin kubeconfig ${cluster.adminKubeconfigPath})`);
    return cluster;
  } catch (err) {
    if (cluster) {
      await cluster.stop({ keepLogs: true });
      (err as Error).message += `\n[k8s] logs: ${cluster.logs.apiServer} ${cluster.logs.etcd}`;
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
    throw err;
  }
}
