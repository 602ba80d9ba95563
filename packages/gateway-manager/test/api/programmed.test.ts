// Programmed for real: an agent's report (its StaticEgressNode, written by the agent's own
// KubeNodeReporter with the shipped agent RBAC) turns the policy's Programmed condition True on a
// real manager; a report without the address turns it False naming the node.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, POOL_PLURAL, SYSTEM_NAMESPACE, VERSION } from '@static-egress/crds';
import { createLogger } from '@static-egress/controller-kit';
import { KubeNodeReporter } from '../../../node-agent/src/report/node-report.js';
import { freePorts, REPO_ROOT, useCluster } from '../../../../e2e/src/k8s/index.js';
import {
  condition, createNode, createPolicy, FakeAgent, getPolicy, installManagerRBAC, spawnManager, stopManager, waitFor, type ManagerProcess,
} from './support.js';

describe('Programmed from the agents\' reports', function () {
  this.timeout(120_000);
  const k8s = useCluster();
  let manager: ManagerProcess | undefined;
  let agent: FakeAgent | undefined;

  after(async () => {
    await stopManager(manager);
    await agent?.close();
  });

  it('True once the gateway reports the address, False naming it when it does not', async () => {
    const c = k8s.cluster;
    const kc = c.kubeConfig();
    await c.applyCRDs();
    const managerKubeconfig = await installManagerRBAC(c);
    await c.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/agent.yaml')]);
    const agentKc = new KubeConfig();
    agentKc.loadFromFile(await c.serviceAccountKubeconfig(SYSTEM_NAMESPACE, 'static-egress-agent'));
    const [agentPort, httpPort] = await freePorts(2) as [number, number];
    agent = new FakeAgent('127.0.0.31', agentPort);
    await agent.start();
    await createNode(kc, 'gw-1', '127.0.0.31');
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ group: GROUP, version: VERSION, plural: POOL_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'EgressIPPool', metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } } });
    await createPolicy(kc, 'default', 'db', { egressIPs: ['192.0.2.100'] });
    manager = spawnManager({ kubeconfig: managerKubeconfig, identity: 'programmed-a', agentPort, httpPort, dir: dirname(c.logs.apiServer) });
    const programmed = async () => condition(await getPolicy(kc, 'default', 'db'), 'Programmed');
    // the first status may be written before the gateway is assigned ("no egress IP is held"): wait for the assignment's
    const notReported = await waitFor('Programmed=False: the gateway has not reported', async () => {
      const p = await programmed();
      return p?.status === 'False' && /has not reported/.test(p.message ?? '') && p;
    }, 60_000, 100).catch((err: Error) => { throw new Error(`${err.message}\n${manager!.log().slice(-3000)}`); });
    assert.match(notReported.message, /gateway gw-1 has not reported/);

    const reporter = new KubeNodeReporter(agentKc, 'gw-1', () => undefined, createLogger('test'));
    reporter.publish({ gatewayIPs: ['192.0.2.100'], directed: [], fenced: false, stopped: false });
    const ok = await waitFor('Programmed=True', async () => { const p = await programmed(); return p?.status === 'True' && p; });
    assert.equal(ok.reason, 'Programmed');

    await reporter.stop({ cleaned: false, timeoutMs: 10_000 }); // what an agent writes on SIGTERM
    const stopped = await waitFor('Programmed=False (stopped)', async () => { const p = await programmed(); return p?.status === 'False' && p; });
    assert.match(stopped.message, /the agent on gateway gw-1 is stopped/);
    reporter.publish({ gatewayIPs: ['192.0.2.100'], directed: [], fenced: false, stopped: false }); // its successor's first sync
    await waitFor('Programmed=True again', async () => { const p = await programmed(); return p?.status === 'True' && p; });

    reporter.publish({ gatewayIPs: [], directed: [], fenced: true, stopped: false });
    const lost = await waitFor('Programmed=False', async () => { const p = await programmed(); return p?.status === 'False' && p; });
    assert.equal(lost.reason, 'NotProgrammed');
    assert.match(lost.message, /gateway gw-1 does not hold 192\.0\.2\.100 yet/);
  });
});
