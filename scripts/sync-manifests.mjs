// Copies the CRDs (packages/crds/schema/*.yaml, the truth) into manifests/crds/, because kustomize
// refuses files outside its root. `--check` only reports drift (exit 1); the api suite checks it too.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'packages/crds/schema');
const dst = join(root, 'manifests/crds');
const check = process.argv.includes('--check');
const yamls = (d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.yaml')).sort() : []);

const drift = [];
mkdirSync(dst, { recursive: true });
for (const f of yamls(src)) {
  const want = readFileSync(join(src, f));
  const have = existsSync(join(dst, f)) ? readFileSync(join(dst, f)) : undefined;
  if (have?.equals(want)) continue;
  drift.push(`manifests/crds/${f}`);
  if (!check) writeFileSync(join(dst, f), want);
}
for (const f of yamls(dst)) {
  if (yamls(src).includes(f)) continue;
  drift.push(`manifests/crds/${f} (no schema)`);
  if (!check) rmSync(join(dst, f));
}
if (check && drift.length) {
  console.error(`out of date: ${drift.join(', ')}; run node scripts/sync-manifests.mjs`);
  process.exit(1);
}
console.log(drift.length ? `synced: ${drift.join(', ')}` : 'manifests/crds up to date');
