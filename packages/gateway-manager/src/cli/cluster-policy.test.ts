// kubectl egress and ClusterStaticEgressIPs (issue 9): trace sees them by the pod's Namespace labels and
// applies the daemons' precedence (crds destinations.ts: the most specific destination, then the pod's
// own namespace's policy before a cluster policy, then the older); a tenant who may not read them
// gets a trace that says so; status -A lists them as cseip/NAME; explain cseip/NAME.
import assert from 'node:assert/strict';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import {
  parseClusterPolicy, parsePolicy, resolveDestination, type ClusterStaticEgressIP, type PodInfo, type Policy, type StaticEgressIP,
} from '@static-egress/crds';
import { explainCommand, statusCommand, traceCommand } from './commands.js';
import { CliError, Exit, type ClusterReader } from './read.js';
import { renderExplain, renderStatusTable } from './render.js';
import { computeTrace, type TraceInput } from './trace.js';

const pod: PodInfo = {
  key: 'shop/web-1', namespace: 'shop', name: 'web-1', uid: 'uid-web-1', labels: { app: 'web' },
  nodeName: 'node-1', podIP: '203.0.113.34', phase: 'Running',
};
const SHOP_LABELS = { 'kubernetes.io/metadata.name': 'shop', tier: 'prod' };

function seip(name: string, spec: StaticEgressIP['spec'], node: string, created: string): StaticEgressIP {
  return {
    metadata: { namespace: 'shop', name, uid: `uid-${name}`, generation: 1, creationTimestamp: created as unknown as Date },
    spec,
    status: { assignments: spec.egressIPs.map((egressIP) => ({ egressIP, node })) },
  };
}

function cseip(name: string, spec: ClusterStaticEgressIP['spec'], node: string, created: string): ClusterStaticEgressIP {
  return {
    metadata: { name, uid: `uid-${name}`, generation: 1, creationTimestamp: created as unknown as Date },
    spec,
    status: { assignments: spec.egressIPs.map((egressIP) => ({ egressIP, node })) },
  };
}

const prod = { matchLabels: { tier: 'prod' } };
// the cluster policy is the OLDEST: only the pod's-namespace-first rule can make a namespaced policy win a tie
const base = cseip('base', { egressIPs: ['192.0.2.120'], namespaceSelector: prod }, 'gw-c', '2020-01-01T00:00:00Z');
const narrow = cseip('narrow', { egressIPs: ['192.0.2.121'], namespaceSelector: prod, destinationCIDRs: ['198.51.100.20/32'] }, 'gw-n', '2020-01-01T00:00:00Z');
const web = seip('web', { egressIPs: ['192.0.2.100'], podSelector: { matchLabels: { app: 'web' } } }, 'gw-1', '2025-01-01T00:00:00Z');
const webDb = seip('web-db', { egressIPs: ['192.0.2.101'], destinationCIDRs: ['198.51.100.0/24'] }, 'gw-2', '2025-01-01T00:00:00Z');

function input(policies: Policy[], over: Partial<TraceInput> = {}, destination = '198.51.100.10'): TraceInput {
  return { pod, destination, policies, services: [], namespaceLabels: SHOP_LABELS, ...over };
}

describe('kubectl egress trace with ClusterStaticEgressIPs', () => {
  const cases: { name: string; namespaced: StaticEgressIP[]; cluster: ClusterStaticEgressIP[]; dst: string; over?: Partial<TraceInput>; noNamespace?: boolean; verdict: string; step?: [string, RegExp] }[] = [
    { name: 'a cluster policy alone selects the pod by its Namespace labels', namespaced: [], cluster: [base], dst: '198.51.100.10',
      verdict: 'leaves as 192.0.2.120 via gw-c', step: ['policy', /^cseip\/base selects it by namespaceSelector tier=prod and an empty podSelector/] },
    { name: 'a Namespace the selector does not match: node IP, saying no cluster policy selects it', namespaced: [], cluster: [base], dst: '198.51.100.10',
      over: { namespaceLabels: { tier: 'dev' } }, verdict: 'leaves with the node IP: no policy in shop selects web-1, nor does any ClusterStaticEgressIP' },
    { name: 'same prefix: the pod\'s own namespace\'s StaticEgressIP before the older cluster policy', namespaced: [web], cluster: [base], dst: '198.51.100.10',
      verdict: 'leaves as 192.0.2.100 via gw-1',
      step: ['destination', /cseip\/base matches 0\.0\.0\.0\/0 too, but shop\/web takes precedence \(the pod's own namespace before a cluster policy; PodConflict\)/] },
    { name: 'a more specific cluster destination wins over a namespaced policy', namespaced: [web, webDb], cluster: [narrow], dst: '198.51.100.20',
      verdict: 'leaves as 192.0.2.121 via gw-n', step: ['destination', /of cseip\/narrow, the most specific: shop\/web matches only 0\.0\.0\.0\/0; shop\/web-db matches only 198\.51\.100\.0\/24/] },
    { name: 'elsewhere the namespaced policies keep their destinations', namespaced: [web, webDb], cluster: [narrow], dst: '198.51.100.10', verdict: 'leaves as 192.0.2.101 via gw-2' },
    { name: 'a tenant who may not list them: a note, and the namespace\'s policies decide', namespaced: [web], cluster: [narrow], dst: '198.51.100.20',
      over: { clusterUnreadable: 'list clusterstaticegressips: forbidden' }, verdict: 'leaves as 192.0.2.100 via gw-1',
      step: ['cluster', /^ClusterStaticEgressIPs not considered \(list clusterstaticegressips: forbidden\): one may still select the pod, and then wins only a more specific destination/] },
    { name: 'the Namespace not readable: a selector on its labels cannot be decided and is left out, saying so', namespaced: [], cluster: [base], dst: '198.51.100.10',
      noNamespace: true, verdict: 'leaves with the node IP: no policy in shop selects web-1',
      step: ['cluster', /^Namespace shop not readable: could not tell whether cseip\/base selects its pods; left out/] },
    { name: 'the Namespace not readable: a cluster policy selecting every namespace still applies', namespaced: [], cluster: [cseip('all', { egressIPs: ['192.0.2.122'], namespaceSelector: {} }, 'gw-a', '2020-01-01T00:00:00Z')],
      dst: '198.51.100.10', noNamespace: true, verdict: 'leaves as 192.0.2.122 via gw-a' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const policies = [...c.namespaced.map(parsePolicy), ...c.cluster.map(parseClusterPolicy)];
      const i = input(policies, c.over, c.dst);
      if (c.noNamespace) delete i.namespaceLabels;
      const r = computeTrace(i);
      assert.equal(r.verdict, c.verdict);
      if (c.step) assert.match(r.steps.find((s) => s[0] === c.step![0])?.[1] ?? `(no ${c.step[0]} step)`, c.step[1]);
    });
  }

  it('picks the policy the daemons\' resolveDestination picks, for every destination of the mix', () => {
    const policies = [...[web, webDb].map(parsePolicy), ...[base, narrow].map(parseClusterPolicy)];
    for (const dst of ['198.51.100.20', '198.51.100.10', '8.8.8.8', '203.0.113.9']) {
      const expected = resolveDestination(policies, dst)!.policyKey;
      const ip = policies.find((p) => p.key === expected)!.egressIPs[0];
      assert.equal(computeTrace(input(policies, {}, dst)).egressIP, ip, dst);
    }
  });
});

/** A reader over fixed objects; `forbid` names reads that answer 403 as the API reader does. */
function fakeReader(objects: { seips: StaticEgressIP[]; cseips: ClusterStaticEgressIP[] }, forbid: string[] = []): ClusterReader {
  const guard = <T>(what: string, value: T): Promise<T> => forbid.includes(what)
    ? Promise.reject(new CliError(`${what}: forbidden: your account may not read it (ask for the static-egress view role)`, Exit.Forbidden))
    : Promise.resolve(value);
  const v1pod: V1Pod = { metadata: { namespace: 'shop', name: 'web-1', uid: 'uid-web-1', labels: { app: 'web' } }, spec: { nodeName: 'node-1', containers: [] }, status: { podIP: '203.0.113.34', phase: 'Running' } };
  const ns: V1Namespace = { metadata: { name: 'shop', labels: SHOP_LABELS } };
  const reader = {
    policies: (n: string | undefined) => guard(n === undefined ? 'list staticegressips in any namespace' : 'list staticegressips', objects.seips.filter((p) => n === undefined || p.metadata?.namespace === n)),
    policy: (n: string, name: string) => guard('get staticegressip', objects.seips.find((p) => p.metadata?.namespace === n && p.metadata.name === name)!),
    clusterPolicies: () => guard('list clusterstaticegressips', objects.cseips),
    clusterPolicy: (name: string) => {
      const found = objects.cseips.find((p) => p.metadata?.name === name);
      return found ? guard('get clusterstaticegressip', found) : Promise.reject(new CliError(`clusterstaticegressip ${name}: not found`, Exit.NotFound));
    },
    pod: () => Promise.resolve(v1pod),
    services: () => Promise.resolve([]),
    namespace: () => guard('get namespace', ns),
    namespaces: () => guard('list namespaces', [ns]),
    pools: () => guard('list egressippools', [{ metadata: { name: 'lan' }, spec: { cidrs: [{ cidr: '192.0.2.96/27' }] } }]),
    nodes: () => guard('list nodes', []),
    nodeReports: () => guard('list staticegressnodes', []),
  };
  return reader as unknown as ClusterReader;
}

describe('kubectl egress commands with ClusterStaticEgressIPs', () => {
  const objects = { seips: [web], cseips: [narrow] };
  const TENANT = ['list clusterstaticegressips', 'get namespace', 'list staticegressips in any namespace', 'list egressippools', 'list namespaces', 'list nodes', 'list staticegressnodes'];

  it('trace reads cluster policies and the Namespace labels', async () => {
    const r = await traceCommand(fakeReader(objects), 'shop/web-1', '198.51.100.20', { namespace: 'default', output: 'table' });
    assert.equal(r.code, Exit.OK);
    assert.match(r.text, /verdict +leaves as 192\.0\.2\.121 via gw-n$/);
  });

  it('trace for a tenant: no crash, a note naming what it may not read, the namespace\'s policies decide', async () => {
    const r = await traceCommand(fakeReader(objects, TENANT), 'shop/web-1', '198.51.100.20', { namespace: 'default', output: 'table' });
    assert.equal(r.code, Exit.OK);
    assert.match(r.text, /^cluster +ClusterStaticEgressIPs not considered \(list clusterstaticegressips: forbidden: your account may not read it\)/m);
    assert.match(r.text, /verdict +leaves as 192\.0\.2\.100 via gw-1$/);
  });

  it('status -A lists them after the namespaced ones as cseip/NAME; -n does not', async () => {
    const all = await statusCommand(fakeReader(objects), { namespace: undefined, output: 'table' });
    assert.equal(all, [
      'NAMESPACE  NAME          EGRESS IP    NODE  READY    REASON',
      'shop       web           192.0.2.100  gw-1  Unknown',
      '-          cseip/narrow  192.0.2.121  gw-n  Unknown',
    ].join('\n'));
    assert.doesNotMatch(await statusCommand(fakeReader(objects), { namespace: 'shop', output: 'table' }), /cseip/);
    const json = JSON.parse(await statusCommand(fakeReader(objects), { namespace: undefined, output: 'json' })) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(json.items.map((i) => i.metadata.name), ['web', 'narrow']);
    const refused = await statusCommand(fakeReader(objects, ['list clusterstaticegressips']), { namespace: undefined, output: 'table' });
    assert.match(refused, /^shop +web /m);
    assert.match(refused, /\(ClusterStaticEgressIPs not listed: list clusterstaticegressips: forbidden: your account may not read it\)$/);
  });

  it('explain cseip/NAME (and clusterstaticegressip/NAME) shows its selectors; a missing one is exit 3', async () => {
    for (const ref of ['cseip/narrow', 'clusterstaticegressip/narrow', 'ClusterStaticEgressIPs.staticegress.io/narrow']) {
      const text = await explainCommand(fakeReader(objects), ref, { namespace: 'shop', output: 'table' });
      assert.match(text, /^ClusterStaticEgressIP narrow {2}\(generation 1, observed -\)\nselects: namespaces tier=prod, pods \{\} \(all\)\negress IPs: 192\.0\.2\.121\nheld: 192\.0\.2\.121 on gw-n/, ref);
    }
    await assert.rejects(explainCommand(fakeReader(objects), 'cseip/nope', { namespace: 'shop', output: 'table' }), (e: CliError) => e.exitCode === Exit.NotFound);
    await assert.rejects(explainCommand(fakeReader(objects), 'cseip/', { namespace: 'shop', output: 'table' }), (e: CliError) => e.exitCode === Exit.Usage);
  });

  it('renders a cluster policy beside namespaced ones without a namespace', () => {
    assert.match(renderStatusTable([narrow], { allNamespaces: false }), /^cseip\/narrow +192\.0\.2\.121 +gw-n/m);
    assert.doesNotMatch(renderExplain(web), /selects:/);
  });
});
