// Removes namespaces left behind by interrupted kernel suites or benchmarks (names `sek????-*`).
// `node --import tsx packages/node-agent/test/kernel/cleanup.ts [prefix]`
import { execa } from 'execa';
import { listNamespaces } from './netns.js';

const only = process.argv[2];
const pattern = /^sek[0-9a-z]{4}-/;
let n = 0;
for (const ns of await listNamespaces()) {
  if (!pattern.test(ns) || (only && !ns.startsWith(`${only}-`))) continue;
  // kill what still runs inside before deleting (echo servers, appliers, probers)
  const pids = await execa('ip', ['netns', 'pids', ns], { reject: false });
  for (const pid of String(pids.stdout).split('\n').filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
  }
  await execa('ip', ['netns', 'del', ns], { reject: false });
  n++;
}
console.log(`removed ${n} namespace(s)`);
