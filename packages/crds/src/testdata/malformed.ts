// Objects the CRD schema must reject, each with the field path the error has to name, and objects
// it must accept. Used twice: by the api suite against the real apiserver (test/api) and by the
// parser's unit test, so the schema and parsePolicy/parsePool reject the same things.
import { API_VERSION, CSEIP_KIND, POOL_KIND, SEIP_KIND } from '../constants.js';
import { malformedIPv6, wellFormedIPv6 } from './malformed-ipv6.js';

export interface ObjectCase {
  name: string;
  object: Record<string, unknown>;
}

export interface MalformedCase extends ObjectCase {
  /** Substring of the apiserver's error (and of the ParseError message): the field path. */
  expectField: string;
  /** Also in both messages when set: the reason, so a case is refused for the rule it is about (issue 11). */
  expectMessage?: RegExp;
}

/** Namespace of every StaticEgressIP here; the api suite creates it. */
export const TESTDATA_NAMESPACE = 'shop';

function seip(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: SEIP_KIND, metadata: { name, namespace: TESTDATA_NAMESPACE }, spec };
}

/** A ClusterStaticEgressIP (cluster-scoped, issue 9). */
function cseip(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: CSEIP_KIND, metadata: { name }, spec };
}

function pool(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: POOL_KIND, metadata: { name }, spec };
}

const ip = '192.0.2.100';
const lan = [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }];

export const malformedObjects: MalformedCase[] = [
  // StaticEgressIP
  { name: 'seip without spec', object: seip('bad-no-spec', undefined), expectField: 'spec' },
  { name: 'seip without egressIPs', object: seip('bad-no-ips', { podSelector: {} }), expectField: 'spec.egressIPs' },
  { name: 'seip with empty egressIPs', object: seip('bad-empty-ips', { egressIPs: [] }), expectField: 'spec.egressIPs' },
  {
    name: 'seip with 17 egressIPs',
    object: seip('bad-many-ips', { egressIPs: Array.from({ length: 17 }, (_, i) => `192.0.2.${100 + i}`) }),
    expectField: 'spec.egressIPs',
  },
  { name: 'egress IP that is not an IP', object: seip('bad-ip-word', { egressIPs: ['not-an-ip'] }), expectField: 'spec.egressIPs[0]' },
  { name: 'egress IP with an octet over 255', object: seip('bad-ip-octet', { egressIPs: ['192.0.2.300'] }), expectField: 'spec.egressIPs[0]' },
  { name: 'egress IP with leading zeros', object: seip('bad-ip-zeros', { egressIPs: [ip, '192.0.2.010'] }), expectField: 'spec.egressIPs[1]' },
  { name: 'egress IP with a prefix length', object: seip('bad-ip-cidr', { egressIPs: ['192.0.2.100/32'] }), expectField: 'spec.egressIPs[0]' },
  { name: 'loopback egress IP', object: seip('bad-ip-loopback', { egressIPs: ['127.0.0.1'] }), expectField: 'spec.egressIPs[0]' },
  { name: 'multicast egress IP', object: seip('bad-ip-multicast', { egressIPs: [ip, '224.0.0.5'] }), expectField: 'spec.egressIPs[1]' },
  { name: 'duplicate egress IPs', object: seip('bad-ip-dup', { egressIPs: [ip, ip] }), expectField: 'spec.egressIPs[1]' },
  {
    name: 'podSelector and serviceName together',
    object: seip('bad-both-selectors', { egressIPs: [ip], podSelector: { matchLabels: { app: 'web' } }, serviceName: 'frontend' }),
    expectField: 'spec.serviceName',
  },
  { name: 'serviceName that is not a DNS label', object: seip('bad-svc-name', { egressIPs: [ip], serviceName: 'Front_End' }), expectField: 'spec.serviceName' },
  {
    name: 'podSelector with an unknown operator',
    object: seip('bad-sel-op', { egressIPs: [ip], podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] } }),
    expectField: 'spec.podSelector.matchExpressions[0].operator',
  },
  {
    name: 'podSelector In without values',
    object: seip('bad-sel-in', { egressIPs: [ip], podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }),
    expectField: 'spec.podSelector.matchExpressions[0].values',
  },
  {
    name: 'podSelector Exists with values',
    object: seip('bad-sel-exists', { egressIPs: [ip], podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['web'] }] } }),
    expectField: 'spec.podSelector.matchExpressions[0].values',
  },
  {
    name: 'destination CIDR with prefix over 32',
    object: seip('bad-dst-prefix', { egressIPs: [ip], destinationCIDRs: ['198.51.100.0/33'] }),
    expectField: 'spec.destinationCIDRs[0]',
  },
  {
    name: 'destination CIDR with host bits set',
    object: seip('bad-dst-host', { egressIPs: [ip], destinationCIDRs: ['198.51.100.0/24', '198.51.100.7/24'] }),
    expectField: 'spec.destinationCIDRs[1]',
  },
  {
    name: 'destination that is an address, not a CIDR',
    object: seip('bad-dst-ip', { egressIPs: [ip], destinationCIDRs: ['198.51.100.7'] }),
    expectField: 'spec.destinationCIDRs[0]',
  },
  { name: 'empty destinationCIDRs', object: seip('bad-dst-empty', { egressIPs: [ip], destinationCIDRs: [] }), expectField: 'spec.destinationCIDRs' },
  {
    name: 'duplicate destination CIDRs',
    object: seip('bad-dst-dup', { egressIPs: [ip], destinationCIDRs: ['198.51.100.0/24', '198.51.100.0/24'] }),
    expectField: 'spec.destinationCIDRs[1]',
  },
  { name: 'excluded CIDR that is a word', object: seip('bad-excl-word', { egressIPs: [ip], excludedCIDRs: ['banana'] }), expectField: 'spec.excludedCIDRs[0]' },

  // EgressIPPool
  { name: 'pool without cidrs', object: pool('bad-pool-no-cidrs', { maxIPsPerNode: 4 }), expectField: 'spec.cidrs' },
  { name: 'pool with empty cidrs', object: pool('bad-pool-empty', { cidrs: [] }), expectField: 'spec.cidrs' },
  { name: 'pool cidr entry without cidr', object: pool('bad-pool-entry', { cidrs: [{ reserved: ['192.0.2.96'] }] }), expectField: 'spec.cidrs[0].cidr' },
  { name: 'pool cidr with prefix over 32', object: pool('bad-pool-prefix', { cidrs: [{ cidr: '192.0.2.96/40' }] }), expectField: 'spec.cidrs[0].cidr' },
  { name: 'pool cidr with host bits set', object: pool('bad-pool-host', { cidrs: [{ cidr: '192.0.2.100/27' }] }), expectField: 'spec.cidrs[0].cidr' },
  {
    name: 'duplicate pool cidrs',
    object: pool('bad-pool-dup', { cidrs: [{ cidr: '192.0.2.96/27' }, { cidr: '192.0.2.96/27' }] }),
    expectField: 'spec.cidrs[1]',
  },
  {
    name: 'overlapping pool cidrs',
    object: pool('bad-pool-overlap', { cidrs: [{ cidr: '192.0.2.96/27' }, { cidr: '192.0.2.112/28' }] }),
    expectField: 'spec.cidrs',
  },
  {
    name: 'reserved address outside its cidr',
    object: pool('bad-pool-reserved-out', { cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.1'] }] }),
    expectField: 'spec.cidrs[0].reserved',
  },
  {
    name: 'reserved entry that is not an IP',
    object: pool('bad-pool-reserved-word', { cidrs: [{ cidr: '192.0.2.96/27', reserved: ['router'] }] }),
    expectField: 'spec.cidrs[0].reserved[0]',
  },
  { name: 'maxIPsPerNode of 0', object: pool('bad-pool-max0', { cidrs: lan, maxIPsPerNode: 0 }), expectField: 'spec.maxIPsPerNode' },
  { name: 'maxIPsPerNode that is a string', object: pool('bad-pool-maxstr', { cidrs: lan, maxIPsPerNode: 'eight' }), expectField: 'spec.maxIPsPerNode' },
  {
    name: 'nodeSelector with an unknown operator',
    object: pool('bad-pool-node-op', { cidrs: lan, nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'Equals', values: ['a'] }] } }),
    expectField: 'spec.nodeSelector.matchExpressions[0].operator',
  },
  {
    name: 'namespaceSelector NotIn without values',
    object: pool('bad-pool-ns-notin', { cidrs: lan, namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: [] }] } }),
    expectField: 'spec.namespaceSelector.matchExpressions[0].values',
  },
  {
    name: 'namespaceSelector label value with a space',
    object: pool('bad-pool-ns-value', { cidrs: lan, namespaceSelector: { matchLabels: { team: 'not valid' } } }),
    expectField: 'spec.namespaceSelector.matchLabels',
  },
  // zones (issue 9)
  { name: 'pool cidr with an empty zone', object: pool('bad-pool-zone-empty', { cidrs: [{ cidr: '192.0.2.96/27', zone: '' }] }), expectField: 'spec.cidrs[0].zone' },
  {
    name: 'pool cidr zone that is not a label value',
    object: pool('bad-pool-zone-value', { cidrs: [{ cidr: '192.0.2.96/27', zone: 'zone a' }] }),
    expectField: 'spec.cidrs[0].zone',
  },
  {
    name: 'pool cidr zone longer than 63 characters',
    object: pool('bad-pool-zone-long', { cidrs: [{ cidr: '192.0.2.96/27', zone: 'z'.repeat(64) }] }),
    expectField: 'spec.cidrs[0].zone',
  },
  {
    name: 'pool with a zone on some cidrs only',
    object: pool('bad-pool-zone-some', { cidrs: [{ cidr: '192.0.2.96/28', zone: 'zone-a' }, { cidr: '192.0.2.112/28' }] }),
    expectField: 'spec.cidrs',
  },
  { name: 'pool topologyKey that is empty', object: pool('bad-pool-topo-empty', { cidrs: lan, topologyKey: '' }), expectField: 'spec.topologyKey' },
  {
    name: 'pool topologyKey that is not a label key',
    object: pool('bad-pool-topo-key', { cidrs: lan, topologyKey: 'not a/label/key' }),
    expectField: 'spec.topologyKey',
  },

  // ClusterStaticEgressIP: its own fields, and the shared ones checked by the same rules as seip's
  { name: 'cseip without namespaceSelector', object: cseip('bad-c-no-ns', { egressIPs: [ip] }), expectField: 'spec.namespaceSelector' },
  {
    name: 'cseip with serviceName (a Service is namespaced)',
    object: cseip('bad-c-svc', { egressIPs: [ip], namespaceSelector: {}, serviceName: 'frontend' }),
    expectField: 'spec.serviceName',
  },
  {
    name: 'cseip namespaceSelector In without values',
    object: cseip('bad-c-ns-in', { egressIPs: [ip], namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] } }),
    expectField: 'spec.namespaceSelector.matchExpressions[0].values',
  },
  {
    name: 'cseip podSelector with an unknown operator',
    object: cseip('bad-c-pod-op', { egressIPs: [ip], namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['a'] }] } }),
    expectField: 'spec.podSelector.matchExpressions[0].operator',
  },
  { name: 'cseip without egressIPs', object: cseip('bad-c-no-ips', { namespaceSelector: {} }), expectField: 'spec.egressIPs' },
  { name: 'cseip egress IP that is not an IP', object: cseip('bad-c-ip', { egressIPs: ['192.0.2.300'], namespaceSelector: {} }), expectField: 'spec.egressIPs[0]' },
  {
    name: 'cseip destination CIDR with host bits set',
    object: cseip('bad-c-dst', { egressIPs: [ip], namespaceSelector: {}, destinationCIDRs: ['198.51.100.7/24'] }),
    expectField: 'spec.destinationCIDRs[0]',
  },
  ...malformedIPv6,
];

export const wellFormedObjects: ObjectCase[] = [
  { name: 'minimal seip', object: seip('valid-minimal', { egressIPs: [ip] }) },
  {
    name: 'seip with podSelector and CIDRs',
    object: seip('valid-full', {
      egressIPs: [ip, '192.0.2.101'],
      podSelector: {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['frontend', 'api'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      destinationCIDRs: ['198.51.100.0/24', '0.0.0.0/0'],
      excludedCIDRs: ['198.51.100.7/32'],
    }),
  },
  { name: 'seip with serviceName', object: seip('valid-service', { egressIPs: ['192.0.2.102'], serviceName: 'frontend' }) },
  { name: 'minimal pool', object: pool('valid-pool-minimal', { cidrs: [{ cidr: '203.0.113.0/28' }] }) },
  { name: 'minimal cseip (every namespace)', object: cseip('valid-c-minimal', { egressIPs: [ip], namespaceSelector: {} }) },
  {
    name: 'full cseip',
    object: cseip('valid-c-full', {
      egressIPs: [ip, '192.0.2.101'],
      namespaceSelector: { matchLabels: { egress: 'corp' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] },
      podSelector: { matchLabels: { app: 'web' } },
      destinationCIDRs: ['198.51.100.0/24'],
      excludedCIDRs: ['198.51.100.7/32'],
    }),
  },
  {
    name: 'full pool',
    object: pool('valid-pool-full', {
      cidrs: [
        { cidr: '192.0.2.96/27', reserved: ['192.0.2.96', '192.0.2.127'] },
        { cidr: '198.51.100.128/25' },
      ],
      namespaceSelector: { matchLabels: { egress: 'allowed' } },
      nodeSelector: { matchLabels: { 'staticegress.io/gateway': '' }, matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
      maxIPsPerNode: 4,
    }),
  },
  {
    name: 'pool with zones',
    object: pool('valid-pool-zones', {
      cidrs: [
        { cidr: '192.0.2.96/28', zone: 'zone-a' },
        { cidr: '192.0.2.112/28', zone: 'zone-b' },
        { cidr: '198.51.100.128/25', zone: 'zone-a' },
      ],
      topologyKey: 'example.com/rack',
    }),
  },
  ...wellFormedIPv6,
];
