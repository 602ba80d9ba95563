// The test control plane itself (e2e/src/k8s): the api and e2e suites stand on it.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { useCluster } from '../../../../e2e/src/k8s/index.js';

const NS = 'harness-test';

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('k8s test harness', () => {
  const k8s = useCluster();

  it('serves the admin over its client certificate with RBAC on', async () => {
    const { stdout } = await k8s.cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}']);
    assert.match(stdout, /system:masters/);
    const flags = (await k8s.cluster.kubectl(['get', '--raw', '/readyz'])).stdout;
    assert.equal(flags, 'ok');
  });

  it('ensureNamespace labels the namespace and creates its default ServiceAccount, so pods are admitted', async () => {
    const c = k8s.cluster;
    await c.ensureNamespace(NS, { team: 'a' });
    await c.ensureNamespace(NS, { team: 'a' }); // idempotent
    const core = c.kubeConfig().makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: NS });
    assert.equal(ns.metadata?.labels?.team, 'a');
    await core.readNamespacedServiceAccount({ name: 'default', namespace: NS });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: NS },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'pause' }] } };
    await c.kubectl(['create', '-f', '-'], { input: stringify(pod) });
    const created = await core.readNamespacedPod({ name: 'p1', namespace: NS });
    assert.equal(created.spec?.serviceAccountName, 'default');
  });

  it('a ServiceAccount kubeconfig gets what RBAC grants and 403 for the rest', async () => {
    const c = k8s.cluster;
    const rbac = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'cm-reader', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: NS }] },
    ];
    await c.kubectl(['apply', '-f', '-'], { input: rbac.map((d) => stringify(d)).join('---\n') });
    const path = await c.serviceAccountKubeconfig(NS, 'reader');
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    assert.equal(kc.getCurrentCluster()?.server, c.server);
    const core = kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    assert.ok(Array.isArray(list.items));
    await assert.rejects(core.listNamespacedSecret({ namespace: NS }), (err) => statusCode(err) === 403);
    await assert.rejects(core.listNamespacedConfigMap({ namespace: 'default' }), (err) => statusCode(err) === 403);
    const who = await c.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: path });
    assert.equal(who.stdout, `system:serviceaccount:${NS}:reader`);
  });

  it('writes the server override into ServiceAccount kubeconfigs (for the lab relay)', async () => {
    const path = await k8s.cluster.serviceAccountKubeconfig(NS, 'reader', { server: 'https://127.0.0.1:6443' });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  });

  it('a client-certificate user kubeconfig authenticates user and groups', async () => {
    const path = await k8s.cluster.userKubeconfig('alice', ['devs']);
    const who = await k8s.cluster.kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig: path });
    const info = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    assert.equal(info.username, 'alice');
    assert.ok(info.groups.includes('devs'));
    const denied = await k8s.cluster.kubectl(['get', 'nodes'], { kubeconfig: path, reject: false });
    assert.notEqual(denied.exitCode, 0);
    assert.match(denied.stderr, /forbidden/i);
  });

  it('restarts the apiserver on the same port and etcd: data and tokens survive', async () => {
    const c = k8s.cluster;
    const path = await c.serviceAccountKubeconfig(NS, 'reader');
    const before = c.pids();
    await c.stopApiServer();
    assert.equal(c.pids().apiServer, undefined);
    assert.equal(c.pids().etcd, before.etcd);
    const down = await c.kubectl(['get', 'ns', NS, '--request-timeout=3s'], { reject: false });
    assert.notEqual(down.exitCode, 0);
    assert.match(down.stderr, /refused/);
    await c.startApiServer();
    assert.notEqual(c.pids().apiServer, before.apiServer);
    await c.kubectl(['get', 'ns', NS]);
    await c.kubectl(['get', 'configmaps', '-n', NS], { kubeconfig: path });
  });

  it('a paused apiserver accepts connections but answers nothing until resumed', async () => {
    const c = k8s.cluster;
    c.pauseApiServer();
    try {
      const hung = await c.kubectl(['get', 'ns', NS, '--request-timeout=2s'], { reject: false });
      assert.notEqual(hung.exitCode, 0);
    } finally {
      c.resumeApiServer();
    }
    await c.kubectl(['get', 'ns', NS, '--request-timeout=20s']);
  });

  it('stop() leaves no process and no directory, and is idempotent', async () => {
    const c = k8s.cluster;
    const pids = Object.values(c.pids());
    assert.equal(pids.length, 2);
    await c.stop();
    await c.stop();
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} still alive`);
    }
    const pgrep = await execa('pgrep', ['-f', c.dir], { reject: false });
    assert.equal(pgrep.stdout, '', `processes still naming ${c.dir}`);
    assert.equal(existsSync(c.dir), false);
  });
});
