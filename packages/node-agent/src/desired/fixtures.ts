// A small cluster used by the unit and golden tests: 3 nodes, 3 policies.
import type { RenderConfig } from '../render/types.js';
import type { NodeStateInput, PolicyView } from './types.js';

/** First IP of the list, or the one whose rendezvous score is highest, simplified for fixtures. */
export const pinFirst = (_uid: string, ips: string[]): string => [...ips].sort()[0]!;

export function fixtureInput(over: Partial<NodeStateInput> = {}): NodeStateInput {
  const policies: PolicyView[] = [
    // db: two IPs, held by n2 and n3; dst one /24 minus one host
    { key: 'shop/db', egressIPs: ['192.0.2.100', '192.0.2.101'], destinationCIDRs: ['198.51.100.0/24'], excludedCIDRs: ['198.51.100.7/32'],
      assignments: new Map([['192.0.2.100', 'n2'], ['192.0.2.101', 'n3']]) },
    // api: held by n1 (this node), everywhere
    { key: 'shop/api', egressIPs: ['192.0.2.102'], destinationCIDRs: [], excludedCIDRs: [], assignments: new Map([['192.0.2.102', 'n1']]) },
    // dark: no gateway: fail closed
    { key: 'ops/dark', egressIPs: ['192.0.2.103'], destinationCIDRs: ['198.51.100.20/32'], excludedCIDRs: [], assignments: new Map() },
  ];
  return {
    nodeName: 'n1', nodeIP: '192.0.2.11', mode: 'direct', policies,
    authorizedIPs: new Map([['shop/db', ['192.0.2.100', '192.0.2.101']], ['shop/api', ['192.0.2.102']], ['ops/dark', ['192.0.2.103']]]),
    selection: new Map([['shop/web-1', ['shop/db']], ['shop/web-2', ['shop/db']], ['shop/web-3', ['shop/db']], ['shop/api-1', ['shop/api']], ['shop/api-2', ['shop/api']], ['ops/job-1', ['ops/dark']]]),
    pods: [
      { key: 'shop/web-1', uid: 'u-web-1', nodeName: 'n1', podIP: '203.0.113.33' },
      { key: 'shop/web-2', uid: 'u-web-2', nodeName: 'n1', podIP: '203.0.113.34' },
      { key: 'shop/web-3', uid: 'u-web-3', nodeName: 'n2', podIP: '203.0.113.65' },
      { key: 'shop/api-1', uid: 'u-api-1', nodeName: 'n1', podIP: '203.0.113.35' },
      { key: 'shop/api-2', uid: 'u-api-2', nodeName: 'n3', podIP: '203.0.113.97' },
      { key: 'ops/job-1', uid: 'u-job-1', nodeName: 'n1', podIP: '203.0.113.36' },
      { key: 'shop/other', uid: 'u-other', nodeName: 'n1', podIP: '203.0.113.37' }, // not selected
      { key: 'shop/pending', uid: 'u-pending', nodeName: 'n1' }, // no IP yet
    ],
    nodes: new Map([['n1', '192.0.2.11'], ['n2', '192.0.2.12'], ['n3', '192.0.2.13']]),
    clusterCIDRs: ['203.0.113.0/24'],
    ranges: { markMask: 0x00ff0000, tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5999 },
    pin: pinFirst,
    ...over,
  };
}

/**
 * Per-destination selection (issue 9): db's web pods are selected by api too (older, everywhere,
 * held here), so web-1 and web-2 leave through db's gateways to 198.51.100.0/24 (but .7, which db
 * excludes) and through this node's own api SNAT everywhere else.
 */
export function perDestinationInput(over: Partial<NodeStateInput> = {}): NodeStateInput {
  const base = fixtureInput();
  const [db, api, dark] = base.policies;
  const web = ['shop/web-1', 'shop/web-2', 'shop/web-3'];
  return fixtureInput({
    policies: [{ ...db!, createdAt: 2 }, { ...api!, createdAt: 1 }, dark!],
    selection: new Map([...base.selection].map(([pod, keys]) => [pod, web.includes(pod) ? ['shop/api', 'shop/db'] : keys])),
    ...over,
  });
}

/** The fixture's pods' IPv6 addresses (dual stack, issue 11): 203.0.113.x → 2001:db8:70::x. */
const v6Of = (ip: string) => `2001:db8:70::${ip.split('.')[3]}`;

/**
 * The fixture in a dual-stack cluster (issue 11): db and api hold an IPv6 egress IP beside each
 * IPv4 one (db's to 2001:db8:0:51::/64 but ::7, api's everywhere), dark stays IPv4-only, so its
 * pod's IPv6 traffic is left alone.
 */
export function dualStackInput(over: Partial<NodeStateInput> = {}): NodeStateInput & { nodeIP6: string; nodes6: Map<string, string> } {
  const base = fixtureInput();
  const [db, api, dark] = base.policies;
  return {
    ...fixtureInput({
      policies: [
        { ...db!, egressIPs: [...db!.egressIPs, '2001:db8:0:2::100', '2001:db8:0:2::101'],
          destinationCIDRs: [...db!.destinationCIDRs, '2001:db8:0:51::/64'], excludedCIDRs: [...db!.excludedCIDRs, '2001:db8:0:51::7/128'],
          assignments: new Map([...db!.assignments, ['2001:db8:0:2::100', 'n2'], ['2001:db8:0:2::101', 'n3']]) },
        { ...api!, egressIPs: [...api!.egressIPs, '2001:db8:0:2::102'], assignments: new Map([...api!.assignments, ['2001:db8:0:2::102', 'n1']]) },
        dark!,
      ],
      authorizedIPs: new Map([
        ['shop/db', ['192.0.2.100', '192.0.2.101', '2001:db8:0:2::100', '2001:db8:0:2::101']],
        ['shop/api', ['192.0.2.102', '2001:db8:0:2::102']], ['ops/dark', ['192.0.2.103']],
      ]),
      pods: base.pods.map((p) => (p.podIP ? { ...p, podIPs: [p.podIP, v6Of(p.podIP)] } : p)),
      clusterCIDRs: ['203.0.113.0/24', '2001:db8:70::/48'],
      ...over,
    }),
    nodeIP6: '2001:db8:0:2::11',
    nodes6: new Map([['n1', '2001:db8:0:2::11'], ['n2', '2001:db8:0:2::12'], ['n3', '2001:db8:0:2::13']]),
  };
}

/** The render configuration of the unit and golden tests (the agent's defaults, uplink eth0). */
export const RENDER_FIXTURE: RenderConfig = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };
