// Steps the deploy suites share on a KubeletLab: the probe pod, pool + policy with the first packet
// that carries the egress IP, and the documented uninstall with its residue count.
import { GATEWAY_LABEL } from '@static-egress/crds';
import * as A from '../lab/addressing.js';
import { waitFor } from '../lab/lab.js';
import * as O from '../lab/objects.js';
import type { KubeletLab } from './lab.js';
import { ourTraces, readKernel } from './residue.js';

export const EGRESS_IP = '192.0.2.100';
export const NS = 'static-egress-system';
export const IMAGE = 'static-egress:0.1.0';

/** A real pod from the static-egress image: one TCP connection to the echo server every 200 ms. */
export function clientPod(node: string): string {
  const script = `const net=require('net');setInterval(()=>{const s=net.connect(${A.ECHO_TCP_PORT},'${A.ECHO_IP}');` +
    `s.on('data',d=>process.stdout.write(d));s.on('error',()=>{});},200)`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'client', namespace: 'shop', labels: { app: 'client' } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1,
      containers: [{ name: 'client', image: IMAGE, command: ['node', '-e', script] }] },
  });
}

/** `kubectl apply -k` of the install overlay, then both rollouts; returns when it started. */
export async function install(lab: KubeletLab): Promise<number> {
  const t = Date.now();
  await lab.kubectl(['apply', '-k', lab.installDir()]);
  await waitRollouts(lab);
  return t;
}

export async function waitRollouts(lab: KubeletLab): Promise<void> {
  await lab.kubectl(['-n', NS, 'rollout', 'status', 'daemonset/static-egress-agent', '--timeout=300s']);
  await lab.kubectl(['-n', NS, 'rollout', 'status', 'deployment/static-egress-manager', '--timeout=300s']);
}

/**
 * Node `probeNode` stops being a gateway and runs the probe pod (seen first with its node IP); then
 * a pool for the other gateways and a policy for the pod. Returns when the policy was applied and
 * the first arrival with the egress IP.
 */
export async function applyEgress(lab: KubeletLab, probeNode: number): Promise<{ applied: number; first: number }> {
  await lab.kubectl(['label', 'node', lab.nodeName(probeNode), `${GATEWAY_LABEL}-`]);
  await lab.kubectl(['create', 'namespace', 'shop']);
  await lab.kubectl(['label', 'namespace', 'shop', 'egress=allowed']);
  await lab.kubectl(['apply', '-f', '-'], { input: clientPod(lab.nodeName(probeNode)) });
  await lab.kubectl(['-n', 'shop', 'wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
  const before = Date.now();
  await waitFor('the client pod reaching the echo server (node masquerade)', () =>
    lab.echoLog(before).some((e) => e.src === A.nodeIP(probeNode)), 60_000, 500);
  const applied = Date.now();
  await lab.kube.apply(O.paths.pool('lan'), O.poolObject({ name: 'lan', cidrs: [{ cidr: A.EGRESS_POOL_CIDR, reserved: ['192.0.2.96'] }],
    namespaceSelector: { matchLabels: { egress: 'allowed' } }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } } }));
  await lab.kube.apply(O.paths.seip('shop', 'client-egress'), O.seipObject({ namespace: 'shop', name: 'client-egress',
    egressIPs: [EGRESS_IP], podSelector: { matchLabels: { app: 'client' } }, destinationCIDRs: [A.EXTERNAL_CIDR] }));
  const first = await waitFor('a packet with the egress IP', () =>
    lab.echoLog(applied).find((e) => e.src === EGRESS_IP), 90_000, 200);
  return { applied, first: first.t };
}

/**
 * docs/install.md "Uninstall": policies and pools first, then agents that clean up on exit, then the
 * rest. Returns every trace of ours left on any node (empty when clean).
 */
export async function uninstall(lab: KubeletLab): Promise<string[]> {
  await lab.kubectl(['delete', 'staticegressips', '--all', '-A', '--wait']);
  await lab.kubectl(['delete', 'egressippools', '--all', '--wait']);
  await lab.kubectl(['-n', NS, 'patch', 'daemonset', 'static-egress-agent', '--type=json', '-p',
    '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--cleanup-on-exit"}]']);
  await lab.kubectl(['-n', NS, 'rollout', 'status', 'daemonset/static-egress-agent', '--timeout=300s']);
  await lab.kubectl(['delete', '-k', lab.installDir(), '--wait=true', '--timeout=180s'], { reject: false });
  await waitFor('the agent pods gone', async () => {
    const r = await lab.kubectl(['-n', NS, 'get', 'pods', '-o', 'name'], { reject: false });
    return r.stdout.trim() === '';
  }, 120_000, 1000);
  return (await Promise.all(lab.nodes.map(async (n) => ourTraces(await readKernel(n), [EGRESS_IP])))).flat();
}

/** After uninstall: the pod on `node` egresses with its node's own address again. */
export async function waitNodeEgress(lab: KubeletLab, node: number): Promise<void> {
  const t = Date.now();
  await waitFor('the client pod egressing with its node IP again', () => lab.echoLog(t).some((e) => e.src === A.nodeIP(node)), 60_000, 500);
}
