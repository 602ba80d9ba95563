// What the quick start needs, checked before anything is built (issue 15), with exactly what to
// install when it is missing:
//   node scripts/prereqs.mjs          npm ci's preinstall: Node.js must fit `engines` (npm only
//                                     warns); a missing or old Go is only reported (the image
//                                     build's `npm ci` needs no Go)
//   node scripts/prereqs.mjs --go     `npm run demo` and `npm test`: Go as well (tools/k8s/require-go.sh)
// Plain Node.js with no dependencies and old syntax, so that even an old Node gets this far.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wantGo = process.argv.includes('--go');
const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
const min = (/>=\s*([\d.]+)/.exec(range) || [])[1] || '0';
const num = (v) => v.split('.').map(Number).reduce((acc, n, i) => acc + (n || 0) * [1e6, 1e3, 1][i], 0);
const have = process.versions.node;
let ok = true;

if (num(have) < num(min)) {
  ok = false;
  console.error(`static-egress needs Node.js ${range}; this is ${have} (${process.execPath}).
  Install Node.js ${min.split('.')[0]} LTS (your distribution's nodejs ${min.split('.')[0]}.x package, \`nvm install ${min.split('.')[0]}\`,
  or the official release archive for linux-x64), put it first on PATH, and run the command again.`);
}

const go = spawnSync('bash', [join(root, 'tools/k8s/require-go.sh')], { encoding: 'utf8' });
if (go.status !== 0) {
  const what = wantGo ? 'needed now' : 'needed by `npm run demo`, `npm test` and `npm run k8s:build`';
  console.error(`${wantGo ? '' : 'warning: '}a Go toolchain is ${what}:\n${go.stderr.trimEnd()}`);
  if (wantGo) ok = false;
}
process.exit(ok ? 0 : 1);
