// Runs every test layer that exists (DESIGN §8) in order, streams mocha's output, and closes with one
// summary line. A layer with no test files is reported as such, never counted as passed.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

// Node 20 has no fs.globSync: list files once and match each layer by a path regex.
const files = ['packages', 'e2e', 'bench'].flatMap((d) => readdirSync(d, { recursive: true }).map((f) => `${d}/${f}`))
  .filter((f) => !f.includes('node_modules'));

const layers = [
  ['unit', /^(packages\/[^/]+\/src|e2e\/src|bench\/lib)\/(?!.*\.prop\.test\.ts$).*\.test\.ts$/],
  ['props', /^packages\/[^/]+\/src\/.*\.prop\.test\.ts$/],
  ['kernel', /^packages\/node-agent\/test\/kernel\/.*\.test\.ts$/],
  ['api', /^packages\/[^/]+\/test\/api\/.*\.test\.ts$/],
  ['e2e', /^e2e\/suites\/.*\.test\.ts$/],
  ['deploy', /^e2e\/suites\/deploy\/.*\.deploy\.ts$/],
];
const only = process.argv.slice(2);
// The api, e2e and deploy layers need kube-apiserver & co. (tools/k8s/build.sh): build or find them
// first, so that a missing or too old Go is named once, with what to install, before any layer runs.
if (!process.env.STATIC_EGRESS_K8S_BIN && (!only.length || only.some((l) => ['api', 'e2e', 'deploy'].includes(l)))) {
  if (spawnSync('bash', ['tools/k8s/build.sh'], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) process.exit(1);
}
let passed = 0, failed = 0, pending = 0;
const failedLayers = [];
for (const [name, glob] of layers) {
  if (only.length && !only.includes(name)) continue;
  if (!files.some((f) => glob.test(f))) { console.log(`\n=== ${name}: no test files (${glob})`); continue; }
  console.log(`\n=== ${name}: npm run test:${name}`);
  const out = await new Promise((resolve) => {
    let text = '';
    const child = spawn('npm', ['run', '--silent', `test:${name}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => { process.stdout.write(d); text += d; });
    child.on('close', (code) => resolve({ code, text }));
  });
  const count = (re) => Number(out.text.match(re)?.[1] ?? 0);
  const p = count(/(\d+) passing/), f = count(/(\d+) failing/), s = count(/(\d+) pending/);
  passed += p; failed += f; pending += s;
  if (out.code !== 0) { failedLayers.push(name); if (f === 0) failed += 1; }
}
if (failedLayers.length) console.log(`\nfailed layers: ${failedLayers.join(', ')}`);
console.log(`\ntests: ${passed} passed, ${failed} failed, ${pending} skipped`);
process.exit(failedLayers.length ? 1 : 0);
