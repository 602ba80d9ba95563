// Golden tests: each source system's documented examples (testdata/*.input.*) converted and printed
// (testdata/*.golden.yaml; UPDATE_GOLDEN=1 rewrites them), every printed object accepted by the
// parsers both daemons use; bad input rejected with an error naming the object and the field.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  matchesSelector, NAMESPACE_EGRESS_IPS_ANNOTATION, NAMESPACE_POOL_ANNOTATION, parseClusterPolicy, parsePolicy, parsePool,
  type ClusterStaticEgressIP, type EgressIPPool, type StaticEgressIP,
} from '@static-egress/crds';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../egressctl.js';
import type { NamespaceOptIn, OutputObject } from './common.js';
import { convertManifests } from './convert.js';
import { parseManifests, renderConverted } from './manifests.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

function convertFile(name: string) {
  return convertManifests(parseManifests(readFileSync(join(TESTDATA, name), 'utf8'), name), { defaultNamespace: 'default' });
}

function convertText(text: string) {
  return convertManifests(parseManifests(text, 'in.yaml'), { defaultNamespace: 'default' });
}

const byKind = (objects: readonly OutputObject[], kind: string) => objects.filter((o) => o.kind === kind);

describe('convert: golden, from each system\'s documented examples', () => {
  for (const input of readdirSync(TESTDATA).filter((f) => f.includes('.input.')).sort()) {
    it(input, () => {
      const c = convertFile(input);
      assert.deepEqual(c.errors, []);
      const text = renderConverted(c, 'yaml');
      const golden = join(TESTDATA, input.replace(/\.input\.\w+$/, '.golden.yaml'));
      if (process.env['UPDATE_GOLDEN'] || !existsSync(golden)) writeFileSync(golden, text);
      assert.equal(text, readFileSync(golden, 'utf8'));
      // What is printed is what applies: every document parses back and passes our parsers.
      const docs = parseAllDocuments(text).map((d) => d.toJS() as OutputObject);
      assert.equal(docs.length, c.objects.length);
      for (const d of docs) {
        if (d.kind === 'EgressIPPool') parsePool(d as EgressIPPool);
        else if (d.kind === 'ClusterStaticEgressIP') parseClusterPolicy(d as ClusterStaticEgressIP);
        else if (d.kind === 'Namespace') assert.ok((d as NamespaceOptIn).metadata.annotations[NAMESPACE_POOL_ANNOTATION], 'a Namespace only opts in to a pool');
        else parsePolicy(d as StaticEgressIP);
      }
    });
  }
});

describe('convert: what each system means, carried over', () => {
  it('kube-static-egress-ip: one policy per service and egress IP, with that pair\'s destinations', () => {
    const c = convertFile('kube-static-egress-ip-rules.input.yaml');
    const policies = byKind(c.objects, 'StaticEgressIP').map((o) => parsePolicy(o as StaticEgressIP));
    const invoices = policies.filter((p) => p.serviceName === 'invoices');
    assert.deepEqual(invoices.map((p) => [p.egressIPs, p.destinationCIDRs]), [
      [['192.0.2.100'], ['198.51.100.0/24', '203.0.113.7/32']],
      [['192.0.2.101'], ['198.51.100.200/30']],
    ]);
    assert.ok(c.warnings.some((w) => /IPv6/.test(w.message)));
    assert.ok(c.warnings.some((w) => /two egress IPs \(192\.0\.2\.102, 192\.0\.2\.103\)/.test(w.message)));
    const pool = parsePool(byKind(c.objects, 'EgressIPPool')[0] as EgressIPPool);
    assert.deepEqual(pool.cidrs.map((x) => x.cidr), ['192.0.2.100/32', '192.0.2.101/32', '192.0.2.102/32', '192.0.2.103/32']);
  });

  it('OVN: one ClusterStaticEgressIP per EgressIP with its selectors; its pool admits what it selects', () => {
    const c = convertFile('ovn-egressip.input.yaml');
    assert.deepEqual(byKind(c.objects, 'StaticEgressIP'), []);
    const cluster = byKind(c.objects, 'ClusterStaticEgressIP').map((o) => parseClusterPolicy(o as ClusterStaticEgressIP));
    assert.deepEqual(cluster.map((p) => p.key), ['egress-group1', 'egress-group2', 'egress-project1']);
    const group1 = cluster[0]!;
    assert.deepEqual(group1.podSelector, { matchLabels: { app: 'web' } });
    assert.deepEqual(group1.namespaceSelector, { matchLabels: { env: 'prod' } });
    for (const p of cluster) {
      const pool = parsePool(c.objects.find((o) => o.metadata?.name === `ovn-${p.key}`) as EgressIPPool);
      assert.deepEqual(pool.namespaceSelector, p.namespaceSelector, 'the pool admits every namespace the policy selects');
      assert.deepEqual(pool.cidrs.map((x) => x.cidr), p.egressIPs.map((ip) => `${ip}/32`));
    }
    // egress-group2 (environment NotIn [development]) picks project1 too: it has no environment label.
    assert.ok(matchesSelector({ env: 'qa' }, cluster[1]!.namespaceSelector));
    assert.ok(c.warnings.some((w) => w.object === 'Namespace project1' && /egress-group2, egress-project1/.test(w.message)));
    assert.ok(!c.warnings.some((w) => /per selected namespace|no StaticEgressIP written/.test(w.message)));
  });

  it('OVN without Namespace objects in the input: the ClusterStaticEgressIP is written all the same', () => {
    const c = convertFile('ovn-egressip-no-namespaces.input.yaml');
    assert.deepEqual(byKind(c.objects, 'ClusterStaticEgressIP').map((o) => o.metadata?.name), ['egress-project1']);
  });

  it('OpenShift SDN: a manual placement becomes a pool held by that node only', () => {
    const c = convertFile('openshift-sdn-manual.input.yaml');
    const node1 = parsePool(c.objects.find((o) => o.metadata?.name === 'sdn-node-node1') as EgressIPPool);
    assert.deepEqual(node1.nodeSelector, { matchLabels: { 'kubernetes.io/hostname': 'node1' } });
    assert.deepEqual(node1.cidrs, [{ cidr: '192.168.1.100/32', reserved: [] }]);
    assert.deepEqual(node1.namespaceSelector?.matchExpressions?.[0]?.values, ['project1']);
  });

  it('OpenShift SDN: egressCIDRs become one pool for the nodes listing it, node addresses reserved', () => {
    const c = convertFile('openshift-sdn-automatic.input.json');
    const pools = byKind(c.objects, 'EgressIPPool').map((o) => parsePool(o as EgressIPPool));
    assert.equal(pools.length, 1);
    assert.deepEqual(pools[0]!.cidrs, [{ cidr: '192.168.1.0/24', reserved: ['192.168.1.1', '192.168.1.2'] }]);
    assert.deepEqual(pools[0]!.nodeSelector?.matchExpressions?.[0]?.values, ['node1', 'node2']);
    assert.deepEqual(pools[0]!.namespaceSelector?.matchExpressions?.[0]?.values, ['project1', 'project2']);
  });

  it('egressip-ipam-operator: one pool with a zone per CIDR; each namespace opts in to it (our namespace IPAM), with the addresses it named', () => {
    const c = convertFile('egressip-ipam.input.yaml');
    const pools = byKind(c.objects, 'EgressIPPool').map((o) => parsePool(o as EgressIPPool));
    const aws = pools.find((p) => p.name === 'egressipam-aws')!;
    assert.deepEqual(aws.cidrs.find((x) => x.zone === 'us-west-2b'), { cidr: '10.0.160.0/19', zone: 'us-west-2b', reserved: ['10.0.160.126'] });
    assert.deepEqual(aws.cidrs.map((x) => x.zone), ['us-west-2a', 'us-west-2b', 'us-west-2c']);
    assert.equal(aws.topologyKey, 'failure-domain.beta.kubernetes.io/zone', 'the IPAM\'s topologyLabel');
    assert.deepEqual(aws.nodeSelector?.matchLabels, { 'node-role.kubernetes.io/worker': '' }, 'the zone is in the CIDRs, not the node selector');
    assert.ok(!c.warnings.some((w) => /zone preference/.test(w.message)));
    const optIns = byKind(c.objects, 'Namespace') as NamespaceOptIn[];
    const payments = optIns.find((o) => o.metadata.name === 'payments')!;
    assert.equal(payments.metadata.annotations[NAMESPACE_POOL_ANNOTATION], 'egressipam-aws');
    assert.equal(payments.metadata.annotations[NAMESPACE_EGRESS_IPS_ANNOTATION], '10.0.128.10,10.0.160.10,10.0.192.10');
    const newcomer = optIns.find((o) => o.metadata.name === 'newcomer')!;
    assert.equal(newcomer.metadata.annotations[NAMESPACE_POOL_ANNOTATION], 'egressipam-aws', 'the manager allocates one per zone');
    assert.equal(newcomer.metadata.annotations[NAMESPACE_EGRESS_IPS_ANNOTATION], undefined);
    assert.equal(byKind(c.objects, 'StaticEgressIP').length, 0, 'the manager writes the namespace\'s policy');
    assert.ok(matchesSelector({ 'kubernetes.io/metadata.name': 'newcomer' }, parsePool(byKind(c.objects, 'EgressIPPool')[0] as EgressIPPool).namespaceSelector),
      'the pool admits the namespaces that opt in');
    assert.ok(c.warnings.some((w) => /192\.159\.0\.5 is not in 192\.169\.0\.0\/24/.test(w.message)));
  });
});

describe('convert: bad input', () => {
  it('an unknown kind is named with its file and apiVersion', () => {
    const c = convertText('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n');
    assert.equal(c.errors.length, 1);
    assert.match(c.errors[0]!, /^in\.yaml: Deployment shop\/web: unknown kind Deployment \(apiVersion apps\/v1\)/);
  });

  it('a malformed egress IP names the object and the field', () => {
    const c = convertText(`apiVersion: staticegressips.nirmata.io/v1alpha1
kind: StaticEgressIP
metadata: {name: eip, namespace: shop}
spec: {rules: [{egressip: 100.137.146.300, service-name: frontend, cidr: 4.2.2.2/32}]}
`);
    assert.deepEqual(c.errors, ['in.yaml: StaticEgressIP shop/eip: spec.rules[0].egressip: must be an IP address, got "100.137.146.300"']);
  });

  it('malformed OVN, SDN and IPAM values name their object and field', () => {
    const c = convertText(`apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: e1}
spec: {egressIPs: [192.168.127.010], namespaceSelector: {matchLabels: {env: qa}}}
---
apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: e2}
spec: {egressIPs: [192.168.127.10], namespaceSelector: {matchExpressions: [{key: env, operator: Has}]}}
---
apiVersion: network.openshift.io/v1
kind: HostSubnet
metadata: {name: node1}
host: node1
egressCIDRs: [192.168.1.0/33]
---
apiVersion: redhatcop.redhat.io/v1alpha1
kind: EgressIPAM
metadata: {name: ipam}
spec: {cidrAssignments: [{labelValue: a, CIDR: 10.0.0.0/24}], topologyLabel: zone}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {egressip-ipam-operator.redhat-cop.io/egressipam: ipam, egressip-ipam-operator.redhat-cop.io/egressips: 10.0.1.5}}
`);
    assert.deepEqual(c.errors, [
      'in.yaml: EgressIP e1: spec.egressIPs[0]: must be an IP address, got "192.168.127.010"',
      'in.yaml: EgressIP e2: spec.namespaceSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, got "Has"',
      'in.yaml: HostSubnet node1: egressCIDRs[0]: must be a CIDR such as 198.51.100.0/24, got "192.168.1.0/33"',
      'in.yaml: Namespace shop: metadata.annotations[egressip-ipam-operator.redhat-cop.io/egressips]: 10.0.1.5 is not in 10.0.0.0/24 (cidrAssignment 0 of EgressIPAM ipam)',
    ]);
  });

  it('a document that is not YAML, or not an object, names the file and the document', () => {
    assert.throws(() => parseManifests('a: [1\n', 'x.yaml'), /^Error: x\.yaml: document 1: not valid YAML or JSON/);
    assert.throws(() => parseManifests('---\nfoo\n', 'x.yaml'), /x\.yaml: document 1: must be a Kubernetes object/);
  });

  it('two inputs that convert to one object are reported, not merged', () => {
    const ns = (ips: string) => `apiVersion: network.openshift.io/v1\nkind: NetNamespace\nmetadata: {name: p1}\negressIPs: [${ips}]\n`;
    const c = convertText(`${ns('192.168.1.100')}---\n${ns('192.168.1.101')}`);
    assert.equal(c.errors.length, 1);
    assert.match(c.errors[0]!, /both convert to StaticEgressIP p1\/openshift-sdn-egress/);
  });
});

describe('kubectl egress convert', () => {
  const run = async (argv: string[], stdin = '') => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: async () => stdin });
    return { code, out, err };
  };

  it('reads several -f, a directory and stdin; warnings go to stderr too; exit 0', async () => {
    const stdin = readFileSync(join(TESTDATA, 'ovn-egressip-no-namespaces.input.yaml'), 'utf8');
    const r = await run(['convert', '-f', join(TESTDATA, 'kube-static-egress-ip.input.yaml'), '-f', '-', '-o', 'json'], stdin);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { kind: string; items: { kind: string; metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.ok(list.items.some((i) => i.metadata.name === 'ovn-egress-project1'));
    assert.ok(list.items.some((i) => i.metadata.name === 'eip'));
    assert.match(r.err, /^warning: EgressIP egress-project1: /m);
    const tmp = mkdtempSync(join(tmpdir(), 'convert-'));
    for (const f of ['openshift-sdn-automatic.input.json', 'egressip-ipam.input.yaml']) copyFileSync(join(TESTDATA, f), join(tmp, f));
    writeFileSync(join(tmp, 'notes.txt'), 'not a manifest');
    const dir = await run(['convert', '-f', tmp]);
    const ns = await run(['convert', '-n', 'shop', '-f', join(TESTDATA, 'kube-static-egress-ip.input.yaml')]);
    assert.match(ns.out, /name: eip\n {2}namespace: shop\n/, 'an input without a namespace goes to -n');
    rmSync(tmp, { recursive: true });
    assert.equal(dir.code, 0, dir.err);
    assert.match(dir.out, /# WARNING: /);
  });

  it('bad input: exit 2, every problem named, nothing on stdout', async () => {
    const r = await run(['convert', '-f', '-', '-f', '/nonexistent/egress.yaml'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n');
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /\/nonexistent\/egress\.yaml: no such file or directory/);
    const k = await run(['convert', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n');
    assert.equal(k.code, 2);
    assert.match(k.err, /-: Pod default\/p: unknown kind Pod|-: Pod p: unknown kind Pod/);
    const none = await run(['convert']);
    assert.equal(none.code, 2);
  });
});
