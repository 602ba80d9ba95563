import { Lab, sleep, waitFor } from '../../e2e/src/lab/lab.js';
import { GATEWAY_LABEL } from '@static-egress/crds';
import { readFileSync } from 'node:fs';
const lab = await Lab.up({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4] });
process.on('SIGINT', () => { void lab.down().then(() => process.exit(130)); });
try {
  await lab.applyPool({ name: 'lan', cidrs: [{ cidr: '192.0.2.96/27', reserved: ['192.0.2.96'] }], namespaceSelector: { matchLabels: { egress: 'allowed' } }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } } });
  await lab.ensureNamespace('bench', { egress: 'allowed' });
  const p = await lab.addPod({ namespace: 'bench', name: 'sel', node: 1, labels: { app: 'sel' } });
  await lab.applyPolicy({ namespace: 'bench', name: 'pol', egressIPs: ['192.0.2.100'], podSelector: { matchLabels: { app: 'sel' } }, destinationCIDRs: ['198.51.100.0/24'] });
  const a = await lab.waitAssigned('bench', 'pol', 90_000);
  const holder = a.get('192.0.2.100')!;
  const probe = lab.startProbe(p, { mode: 'udp', intervalMs: 5 });
  await sleep(1500);
  const t = Date.now();
  const i = lab.nodeIndex(holder);
  await lab.cutNode(i); await lab.killAgent(i);
  console.log('fault at', t, new Date(t).toISOString(), 'done', Date.now() - t);
  await waitFor('moved', async () => { const h = (await lab.holders()).get('192.0.2.100') ?? []; return h.some((n) => n !== holder); }, 30000, 50);
  await sleep(1500);
  const r = await probe.stopAndAnalyze('192.0.2.100');
  console.log('gap', r.maxGapMs, r.maxGapStart, r.maxGapStart! - t, r.lost, r.sent);
  for (const f of ['manager-1.log', 'manager-2.log', 'agent-node-1.log', 'agent-node-2.log', 'agent-node-3.log', 'agent-node-4.log']) {
    console.log('==', f);
    console.log(readFileSync(`${lab.logDir}/${f}`, 'utf8').split('\n').slice(-12).join('\n'));
  }
} finally { await lab.down(); }
