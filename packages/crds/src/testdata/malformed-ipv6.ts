// IPv6 and family mix-ups (issue 11): what the CRD schema and the parsers must reject, and the
// dual-stack objects they must accept. Spread into malformed.ts's catalogues, so the api suite runs
// them against the real apiserver and the parser's unit test against parsePolicy/parsePool.
import { API_VERSION, CSEIP_KIND, POOL_KIND, SEIP_KIND } from '../constants.js';
import type { MalformedCase, ObjectCase } from './malformed.js';

const seip = (name: string, spec: unknown): Record<string, unknown> =>
  ({ apiVersion: API_VERSION, kind: SEIP_KIND, metadata: { name, namespace: 'shop' }, spec });
const cseip = (name: string, spec: unknown): Record<string, unknown> => ({ apiVersion: API_VERSION, kind: CSEIP_KIND, metadata: { name }, spec });
const pool = (name: string, spec: unknown): Record<string, unknown> => ({ apiVersion: API_VERSION, kind: POOL_KIND, metadata: { name }, spec });

const v4 = '192.0.2.100';
const v6 = '2001:db8::100';

const CANONICAL = /canonical form/;
const NOT_AN_ADDRESS = /not IPv4-mapped/;
const NOT_UNICAST = /must be a unicast address/;
const NEVER_EFFECTIVE = /could never take effect/;

/** An egress IP the schema must refuse, at spec.egressIPs[1] after a valid one, and why. */
const badEgressIPs: [what: string, ip: string, why: RegExp][] = [
  ['in upper case', '2001:DB8::1', CANONICAL],
  ['with leading zeros', '2001:0db8::1', CANONICAL],
  ['with an uncompressed zero run', '2001:db8:0:0:0:0:0:1', CANONICAL],
  ['that is IPv4-mapped', '::ffff:192.0.2.1', NOT_AN_ADDRESS],
  ['with a zone', 'fe80::1%eth0', NOT_AN_ADDRESS],
  ['that is link-local', 'fe80::1', NOT_UNICAST],
  ['that is multicast', 'ff02::1', NOT_UNICAST],
  ['that is unspecified (::)', '::', NOT_UNICAST],
  ['that is loopback (::1)', '::1', NOT_UNICAST],
  ['with a prefix length', '2001:db8::1/128', NOT_AN_ADDRESS],
  ['with a bad group', '2001:db8::g', NOT_AN_ADDRESS],
  ['with two ::', '2001::db8::1', NOT_AN_ADDRESS],
];

export const malformedIPv6: MalformedCase[] = [
  ...badEgressIPs.map(([what, ip, why], i): MalformedCase => ({
    name: `IPv6 egress IP ${what}`,
    object: seip(`bad-v6-ip-${i}`, { egressIPs: [v6, ip] }),
    expectField: 'spec.egressIPs[1]',
    expectMessage: why,
  })),
  {
    name: 'one IPv6 egress IP twice, in two spellings',
    object: seip('bad-v6-ip-dup', { egressIPs: ['2001:db8::1', '2001:db8:0:0::1'] }),
    expectField: 'spec.egressIPs[1]',
    expectMessage: CANONICAL,
  },
  {
    name: 'IPv6 destination CIDR with host bits set',
    object: seip('bad-v6-dst-host', { egressIPs: [v6], destinationCIDRs: ['2001:db8::1/64'] }),
    expectField: 'spec.destinationCIDRs[0]',
    expectMessage: /host bits zero/,
  },
  {
    name: 'IPv6 destination CIDR with prefix over 128',
    object: seip('bad-v6-dst-prefix', { egressIPs: [v6], destinationCIDRs: ['2001:db8::/129'] }),
    expectField: 'spec.destinationCIDRs[0]',
  },
  {
    name: 'IPv6 destination CIDR not in canonical form',
    object: seip('bad-v6-dst-canon', { egressIPs: [v6], destinationCIDRs: ['2001:DB8::/32'] }),
    expectField: 'spec.destinationCIDRs[0]',
    expectMessage: CANONICAL,
  },
  {
    name: 'IPv4-mapped destination CIDR',
    object: seip('bad-v6-dst-mapped', { egressIPs: [v6], destinationCIDRs: ['::ffff:198.51.100.0/120'] }),
    expectField: 'spec.destinationCIDRs[0]',
  },
  {
    name: 'IPv6 destination of a policy without an IPv6 egress IP',
    object: seip('bad-v6-dst-family', { egressIPs: [v4], destinationCIDRs: ['198.51.100.0/24', '::/0'] }),
    expectField: 'spec.destinationCIDRs',
    expectMessage: NEVER_EFFECTIVE,
  },
  {
    name: 'IPv4 destination of a policy without an IPv4 egress IP',
    object: seip('bad-v4-dst-family', { egressIPs: [v6], destinationCIDRs: ['0.0.0.0/0'] }),
    expectField: 'spec.destinationCIDRs',
    expectMessage: NEVER_EFFECTIVE,
  },
  {
    name: 'IPv6 excluded CIDR not in canonical form',
    object: seip('bad-v6-excl-canon', { egressIPs: [v6], excludedCIDRs: ['2001:db8:0::/48'] }),
    expectField: 'spec.excludedCIDRs[0]',
    expectMessage: CANONICAL,
  },
  { name: 'pool IPv6 cidr with host bits set', object: pool('bad-v6-pool-host', { cidrs: [{ cidr: '2001:db8::1/64' }] }), expectField: 'spec.cidrs[0].cidr' },
  { name: 'pool IPv6 cidr not in canonical form', object: pool('bad-v6-pool-canon', { cidrs: [{ cidr: '2001:0db8::/64' }] }), expectField: 'spec.cidrs[0].cidr', expectMessage: CANONICAL },
  {
    name: 'pool IPv4 reserved address in an IPv6 cidr',
    object: pool('bad-v6-pool-res-v4', { cidrs: [{ cidr: '2001:db8::/64', reserved: ['192.0.2.1'] }] }),
    expectField: 'spec.cidrs[0].reserved',
    expectMessage: /inside its cidr/,
  },
  {
    name: 'pool IPv6 reserved address in an IPv4 cidr',
    object: pool('bad-v6-pool-res-v6', { cidrs: [{ cidr: '192.0.2.96/27', reserved: ['2001:db8::1'] }] }),
    expectField: 'spec.cidrs[0].reserved',
    expectMessage: /inside its cidr/,
  },
  {
    name: 'pool IPv6 reserved address not in canonical form',
    object: pool('bad-v6-pool-res-canon', { cidrs: [{ cidr: '2001:db8::/64', reserved: ['2001:db8::A'] }] }),
    expectField: 'spec.cidrs[0].reserved[0]',
    expectMessage: CANONICAL,
  },
  {
    name: 'pool with overlapping IPv6 cidrs',
    object: pool('bad-v6-pool-overlap', { cidrs: [{ cidr: '2001:db8::/64' }, { cidr: '2001:db8::/48' }] }),
    expectField: 'spec.cidrs',
    expectMessage: /must not overlap/,
  },
  { name: 'cseip IPv6 loopback egress IP', object: cseip('bad-c-v6-lo', { egressIPs: ['::1'], namespaceSelector: {} }), expectField: 'spec.egressIPs[0]', expectMessage: NOT_UNICAST },
  {
    name: 'cseip IPv6 destination without an IPv6 egress IP',
    object: cseip('bad-c-v6-dst', { egressIPs: [v4], namespaceSelector: {}, destinationCIDRs: ['2001:db8::/32'] }),
    expectField: 'spec.destinationCIDRs',
    expectMessage: NEVER_EFFECTIVE,
  },
];

export const wellFormedIPv6: ObjectCase[] = [
  { name: 'IPv6-only seip (destination ::/0 by default)', object: seip('valid-v6-only', { egressIPs: [v6] }) },
  {
    name: 'dual-stack seip with destinations and exclusions of both families',
    object: seip('valid-v6-dual', {
      egressIPs: [v4, v6, '2001:db8::101'],
      destinationCIDRs: ['0.0.0.0/0', '2001:db8:1::/48'],
      excludedCIDRs: ['198.51.100.7/32', '2001:db8:1::7/128'],
    }),
  },
  { name: 'IPv4 seip excluding an IPv6 CIDR (harmless)', object: seip('valid-v6-excl-only', { egressIPs: [v4], excludedCIDRs: ['2001:db8::/32'] }) },
  { name: 'seip with a unique-local IPv6 egress IP', object: seip('valid-v6-ula', { egressIPs: ['fd00:db8::5'] }) },
  {
    name: 'dual-stack pool',
    object: pool('valid-v6-pool', { cidrs: [{ cidr: '192.0.2.96/27' }, { cidr: '2001:db8::/64', reserved: ['2001:db8::1'] }, { cidr: '2001:db8:1::/127' }] }),
  },
  { name: 'dual-stack cseip', object: cseip('valid-c-v6', { egressIPs: [v4, v6], namespaceSelector: {}, destinationCIDRs: ['::/0', '0.0.0.0/0'] }) },
];
