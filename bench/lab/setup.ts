// The lab benchmark's set-up: three data paths from node-1 — through the product, the CNI's plain
// masquerade, and a hand-written minimal rule set (DESIGN §6) — in direct and in VXLAN mode.
import * as A from '../../e2e/src/lab/addressing.js';
import { waitFor, type Lab, type LabPod } from '../../e2e/src/lab/lab.js';
import { ADMITTED_LABEL, applyStandardPool } from '../../e2e/src/scenario.js';
import { renderHandDirector, renderHandGateway, renderHandVxlanDevice, renderHandVxlanDirector } from '../lib/hand-rules.js';
import { EIP_FAILOVER, GATEWAYS, HAND_IP, NS, must, say, type Env } from './common.js';

export interface Paths { sel: LabPod; plain: LabPod; hand: LabPod; gateway: number }

/**
 * The three data paths from node-1, the same in both modes: `sel` through the product (policy
 * `policy`, EIP_FAILOVER), `plain` with the CNI masquerade, and `hand` (the caller adds its
 * hand-written rules). Resolves the pods and the gateway node holding EIP_FAILOVER.
 */
async function threePaths(lab: Lab, policy: string): Promise<Paths> {
  await applyStandardPool(lab);
  await lab.ensureNamespace(NS, ADMITTED_LABEL);
  const pod = (name: string): Promise<LabPod> => lab.addPod({ namespace: NS, name, node: 1, labels: { app: name } });
  const sel = await pod('sel');
  const plain = await pod('plain');
  const hand = await pod('hand');
  await lab.applyPolicy({ namespace: NS, name: policy, egressIPs: [EIP_FAILOVER], podSelector: { matchLabels: { app: 'sel' } },
    destinationCIDRs: [A.EXTERNAL_CIDR] });
  const gateway = lab.nodeIndex((await lab.waitAssigned(NS, policy, 90_000)).get(EIP_FAILOVER)!);
  return { sel, plain, hand, gateway };
}

/** Waits until each path leaves with its own address: the egress IP, node-1's, the hand-written one. */
async function waitPaths(lab: Lab, p: Paths): Promise<void> {
  const seen = await waitFor(`every ${lab.mode}-mode path to leave with its address`, async () => {
    const x = { sel: await lab.sourceIPSeen(p.sel), plain: await lab.sourceIPSeen(p.plain), hand: await lab.sourceIPSeen(p.hand) };
    return x.sel === EIP_FAILOVER && x.plain === A.nodeIP(1) && x.hand === HAND_IP ? x : undefined;
  }, 30_000, 300);
  say(`${lab.mode} paths: selected pod → ${seen.sel} (gateway node-${p.gateway}), unselected → ${seen.plain}, hand-written → ${seen.hand}`);
}

export async function setUp(lab: Lab): Promise<Env> {
  const paths = await threePaths(lab, 'failover');
  const { hand, gateway: handGateway } = paths;
  const pc = await lab.addPod({ namespace: NS, name: 'pc', node: 1, labels: { app: 'pc' } });

  // The hand-written minimal rule set (DESIGN §6) for `hand`: director on node-1, SNAT on every
  // gateway (only the address moves in the hand-move baseline), the address on the same gateway that
  // holds the product's egress IP, so both paths cross the same nodes.
  const dir = renderHandDirector({ prefix: lab.prefix, podIP: hand.ip, dstCIDR: A.EXTERNAL_CIDR, egressIP: HAND_IP, uplink: lab.names.nodeUplink(1) });
  await must(lab.names.nodeNs(1), 'iptables-restore', ['--noflush'], dir.iptables);
  await must(lab.names.nodeNs(1), 'ip', ['-batch', '-'], dir.ip.join('\n') + '\n');
  for (const g of GATEWAYS) {
    await must(lab.names.nodeNs(g), 'iptables-restore', ['--noflush'],
      renderHandGateway({ prefix: lab.prefix, podIP: hand.ip, dstCIDR: A.EXTERNAL_CIDR, egressIP: HAND_IP }));
  }
  await must(lab.names.nodeNs(handGateway), 'ip', ['addr', 'add', `${HAND_IP}/32`, 'dev', lab.names.nodeUplink(handGateway)]);
  await waitPaths(lab, paths);
  return { sel: paths.sel, plain: paths.plain, hand, pc, handGateway };
}

/**
 * VXLAN mode: `hand` goes through the hand-written VXLAN recipe (own device, VNI and port) to the
 * same gateway node as the product's path, and is SNATed there to an address outside the pool.
 */
export async function setUpVxlan(lab: Lab): Promise<Paths> {
  const paths = await threePaths(lab, 'vxlan');
  const { hand, gateway: gw } = paths;
  const mac = (i: number): string => `0e:b0:00:00:00:${i.toString(16).padStart(2, '0')}`;
  for (const i of [1, gw]) {
    const dev = renderHandVxlanDevice({ prefix: lab.prefix, localIP: A.nodeIP(i), uplink: lab.names.nodeUplink(i), mac: mac(i), mtu: 1450 });
    await must(lab.names.nodeNs(i), 'ip', ['-batch', '-'], dev.ip.join('\n') + '\n');
    await must(lab.names.nodeNs(i), 'sysctl', ['-q', '-w', ...Object.entries(dev.sysctl).map(([k, v]) => `${k}=${v}`)]);
  }
  const dir = renderHandVxlanDirector({ prefix: lab.prefix, podIP: hand.ip, dstCIDR: A.EXTERNAL_CIDR, uplink: lab.names.nodeUplink(1),
    gatewayIP: A.nodeIP(gw), gatewayMac: mac(gw) });
  await must(lab.names.nodeNs(1), 'iptables-restore', ['--noflush'], dir.iptables);
  await must(lab.names.nodeNs(1), 'ip', ['-batch', '-'], dir.ip.join('\n') + '\n');
  await must(lab.names.nodeNs(1), 'bridge', ['-batch', '-'], dir.bridge.join('\n') + '\n');
  await must(lab.names.nodeNs(gw), 'iptables-restore', ['--noflush'],
    renderHandGateway({ prefix: lab.prefix, podIP: hand.ip, dstCIDR: A.EXTERNAL_CIDR, egressIP: HAND_IP }));
  await must(lab.names.nodeNs(gw), 'ip', ['addr', 'add', `${HAND_IP}/32`, 'dev', lab.names.nodeUplink(gw)]);
  await must(lab.names.nodeNs(gw), 'sh', ['-c', `{ arping -q -U -c 1 -I ${lab.names.nodeUplink(gw)} -s ${HAND_IP} ${HAND_IP} >/dev/null 2>&1 & }`]);
  await waitPaths(lab, paths);
  return paths;
}
