import assert from 'node:assert/strict';
import { parseClusterView, pinEgressIP, type PodInfo } from '@static-egress/crds';
import { computeProgrammed, computeProgrammedByPolicy, type NodeReport } from './programmed.js';

const pod = (name: string, nodeName: string, podIP: string): PodInfo => ({
  key: `shop/${name}`, namespace: 'shop', name, uid: `uid-${name}`, labels: {}, nodeName, podIP, phase: 'Running',
});
const IPS = ['192.0.2.100', '192.0.2.101'];
const assignments = new Map([['192.0.2.100', 'gw-1'], ['192.0.2.101', 'gw-2']]);
const pods = [pod('a', 'n1', '203.0.113.34'), pod('b', 'n1', '203.0.113.35'), pod('c', 'gw-1', '203.0.113.66')];

/** The reports of agents that programmed everything. */
function fullReports(): Map<string, NodeReport> {
  const directed = new Map<string, Map<string, string[]>>();
  for (const p of pods) {
    const ip = pinEgressIP(p.uid, IPS);
    if (assignments.get(ip) === p.nodeName) continue;
    const byIP = directed.get(p.nodeName!) ?? new Map<string, string[]>();
    byIP.set(ip, [...(byIP.get(ip) ?? []), p.podIP!]);
    directed.set(p.nodeName!, byIP);
  }
  const report = (node: string, gatewayIPs: string[]): NodeReport => ({
    gatewayIPs, directed: [...(directed.get(node) ?? new Map())].map(([egressIP, podIPs]) => ({ egressIP, podIPs })),
  });
  return new Map([['gw-1', report('gw-1', ['192.0.2.100'])], ['gw-2', report('gw-2', ['192.0.2.101'])], ['n1', report('n1', [])]]);
}

const input = (reports: Map<string, NodeReport> | undefined) => ({ policy: { assignments }, authorized: IPS, pods, reports });

describe('computeProgrammed', () => {
  it('True when every held IP is on its gateway and every pod is redirected where it runs', () => {
    const c = computeProgrammed(input(fullReports()));
    assert.equal(c.status, 'True', c.message);
    assert.equal(c.reason, 'Programmed');
  });

  it('False naming a gateway that does not hold its IP, or a node that has not reported', () => {
    const r = fullReports();
    r.set('gw-2', { ...r.get('gw-2')!, gatewayIPs: [] });
    const c = computeProgrammed(input(r));
    assert.deepEqual([c.status, c.reason], ['False', 'NotProgrammed']);
    assert.match(c.message, /gateway gw-2 does not hold 192\.0\.2\.101 yet/);
    r.delete('n1');
    assert.match(computeProgrammed(input(r)).message, /node n1 \(pod shop\/a\) has not reported/);
  });

  it('False naming a director without the rule for a pod', () => {
    const r = fullReports();
    r.set('n1', { gatewayIPs: [], directed: [] });
    const c = computeProgrammed(input(r));
    assert.equal(c.status, 'False');
    assert.match(c.message, /node n1 has no rule for pod shop\/a to 192\.0\.2\.10[01] yet/);
  });

  it('False naming a node whose agent stopped, though its report still lists the rules', () => {
    const r = fullReports();
    r.set('n1', { ...r.get('n1')!, stopped: true });
    const c = computeProgrammed(input(r));
    assert.equal(c.status, 'False');
    assert.match(c.message, /the agent on node n1 \(pod shop\/[ab]\) is stopped/);
    r.set('n1', { ...r.get('n1')!, stopped: false });
    r.set('gw-1', { ...r.get('gw-1')!, stopped: true });
    assert.match(computeProgrammed(input(r)).message, /the agent on gateway gw-1 is stopped/);
  });

  it('Unknown without reports; False when nothing is held', () => {
    assert.equal(computeProgrammed(input(undefined)).status, 'Unknown');
    const none = computeProgrammed({ ...input(fullReports()), policy: { assignments: new Map() } });
    assert.deepEqual([none.status, none.message], ['False', 'no egress IP is held by a gateway node']);
  });

  it('per policy over a cluster view: the pods the policy owns, on the pass\'s assignments', () => {
    const view = parseClusterView({
      policies: [{ metadata: { namespace: 'shop', name: 'db', uid: 'u', creationTimestamp: '2025-01-01T00:00:00Z' as unknown as Date }, spec: { egressIPs: IPS } }],
      pools: [{ metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } }],
      pods: pods.map((p) => ({ metadata: { namespace: 'shop', name: p.name, uid: p.uid }, spec: { nodeName: p.nodeName!, containers: [] }, status: { phase: 'Running', podIP: p.podIP! } })),
      nodes: [], services: [], namespaces: [{ metadata: { name: 'shop' } }],
    });
    assert.equal(computeProgrammedByPolicy(view, assignments, fullReports()).get('shop/db')?.status, 'True');
    assert.equal(computeProgrammedByPolicy(view, assignments, new Map()).get('shop/db')?.status, 'False');
  });
});
