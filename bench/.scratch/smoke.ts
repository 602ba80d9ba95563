import { Lab, sleep } from '../../e2e/src/lab/lab.js';
import { GATEWAY_LABEL } from '@static-egress/crds';
const lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4] });
process.on('SIGINT', () => { void lab.down().then(() => process.exit(130)); });
try {
  await lab.applyPool({ name: 'lan', cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }], namespaceSelector: { matchLabels: { egress: 'allowed' } }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } } });
  await lab.ensureNamespace('bench', { egress: 'allowed' });
  const p = await lab.addPod({ namespace: 'bench', name: 'sel', node: 1, labels: { app: 'sel' } });
  const q = await lab.addPod({ namespace: 'bench', name: 'plain', node: 1, labels: { app: 'plain' } });
  const t0 = Date.now();
  await lab.applyPolicy({ namespace: 'bench', name: 'pol', egressIPs: ['192.0.2.100'], podSelector: { matchLabels: { app: 'sel' } }, destinationCIDRs: ['198.51.100.0/24'] });
  const a = await lab.waitAssigned('bench', 'pol', 90_000);
  console.log('assigned', [...a], Date.now() - t0);
  await sleep(500);
  console.log('sel sees', await lab.sourceIPSeen(p), 'plain sees', await lab.sourceIPSeen(q));
  console.log('logdir', lab.logDir);
  const { execSync } = await import('node:child_process');
  console.log(execSync(`ls ${lab.logDir}; tail -5 ${lab.logDir}/manager-1.log ${lab.logDir}/agent-node-2.log`).toString());
} finally { await lab.down(); }
