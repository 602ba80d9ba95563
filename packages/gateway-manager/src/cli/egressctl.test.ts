import assert from 'node:assert/strict';
import type { EgressIPPool, StaticEgressIP } from '@static-egress/crds';
import type { V1Node } from '@kubernetes/client-node';
import { runCli } from './egressctl.js';
import { computeNodeRows, renderExplain, renderNodes, renderPools, renderStatusTable } from './render.js';

const policy: StaticEgressIP = {
  metadata: { namespace: 'shop', name: 'db', generation: 2 },
  spec: { egressIPs: ['192.0.2.100', '192.0.2.101'] },
  status: {
    observedGeneration: 2,
    assignments: [{ egressIP: '192.0.2.100', node: 'gw-1' }],
    conditions: [{ type: 'Ready', status: 'False', reason: 'PartiallyAssigned', message: 'no healthy gateway node can hold 192.0.2.101', lastTransitionTime: '2025-01-01T00:00:00Z' }],
  },
};

const pool: EgressIPPool = {
  metadata: { name: 'lan' },
  spec: { cidrs: [{ cidr: '192.0.2.96/27' }], nodeSelector: { matchLabels: { gw: 'yes' } }, maxIPsPerNode: 4 },
  status: { capacity: 32, allocated: 2, assigned: 1 },
};

const node = (name: string, zone: string, extra: Partial<V1Node['metadata']> = {}): V1Node => ({
  metadata: { name, labels: { gw: 'yes', 'topology.kubernetes.io/zone': zone }, ...extra },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

function cli(argv: string[]) {
  let out = '';
  let err = '';
  const connect = () => { throw new Error('no API in this test'); };
  return runCli(argv, { out: (s) => { out += s; }, err: (s) => { err += s; }, connect }).then((code) => ({ code, out, err }));
}

describe('egressctl', () => {
  it('status lists every egress IP with its holder and Ready; NAMESPACE only across namespaces', () => {
    assert.equal(
      renderStatusTable([policy], { allNamespaces: true }),
      [
        'NAMESPACE  NAME  EGRESS IP    NODE    READY  REASON',
        'shop       db    192.0.2.100  gw-1    False  PartiallyAssigned',
        'shop       db    192.0.2.101  <none>  False  PartiallyAssigned',
      ].join('\n'),
    );
    assert.match(renderStatusTable([policy], { wide: true }).split('\n')[0]!, /^NAME +EGRESS IP +NODE +READY +REASON +ASSIGNED +PROGRAMMED +MESSAGE$/);
  });

  it('explain shows the conditions with their messages', () => {
    const text = renderExplain(policy);
    assert.match(text, /^shop\/db {2}\(generation 2, observed 2\)/);
    assert.match(text, /held: 192\.0\.2\.100 on gw-1/);
    assert.match(text, /Ready=False \(PartiallyAssigned, since 2025-01-01T00:00:00Z\)\n {2}no healthy gateway node can hold 192\.0\.2\.101/);
  });

  it('pools shows capacity, allocated, held, used and held per zone', () => {
    assert.equal(renderPools([pool], [policy], [node('gw-1', 'z1')]), [
      'NAME  CAPACITY  ALLOCATED  HELD  USED  HELD PER ZONE',
      'lan   32        2          1     6%    z1=1',
    ].join('\n'));
  });

  it('nodes lists gateway nodes with held IPs, capacity (annotation lowers it) and the agent report', () => {
    const rows = computeNodeRows(
      [node('gw-1', 'z1'), node('gw-2', 'z2', { annotations: { 'staticegress.io/max-egress-ips': '2' } }), { metadata: { name: 'worker' } }],
      [pool], [policy], new Map([['gw-1', { fenced: false, stopped: false, gatewayIPs: ['192.0.2.100'] }]]),
    );
    assert.equal(renderNodes(rows), [
      'NAME  ZONE  HEALTH  HELD  CAPACITY  AGENT      EGRESS IPS',
      'gw-1  z1    Ready   1     4         holds 1    192.0.2.100',
      'gw-2  z2    Ready   0     2         no report  -',
    ].join('\n'));
  });

  it('--help everywhere exits 0 and documents the exit codes; usage errors exit 2', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.out, /Exit codes:[\s\S]*5 {2}trace: the packet is dropped/);
    for (const cmd of ['status', 'explain', 'pools', 'nodes', 'trace']) {
      const r = await cli([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.out, new RegExp(`Usage: kubectl egress ${cmd}`));
    }
    assert.equal((await cli(['status', '-o', 'xml'])).code, 2);
    assert.equal((await cli(['trace', 'web-1'])).code, 2);
    assert.equal((await cli(['frobnicate'])).code, 2);
  });

  it('a kubeconfig problem is an error that says what to set', async () => {
    let err = '';
    const code = await runCli(['--kubeconfig', '/nonexistent/kubeconfig', 'status'], { out: () => {}, err: (s) => { err += s; } });
    assert.equal(code, 1);
    assert.match(err, /--kubeconfig \/nonexistent\/kubeconfig: file not found \(set --kubeconfig or KUBECONFIG\)/);
  });
});
