// The image's /app/package.json: ESM bundles plus the root's runtime dependencies at the versions
// this work tree resolved (node_modules), so the image runs what the tests ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = process.argv[2] ?? '.';
const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const dependencies = Object.fromEntries(Object.keys(root.dependencies).sort().map((name) => {
  const installed = JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8'));
  return [name, installed.version];
}));
const version = JSON.parse(readFileSync(join(repo, 'packages/node-agent/package.json'), 'utf8')).version;
process.stdout.write(JSON.stringify({ name: 'static-egress', version, private: true, type: 'module',
  license: 'Apache-2.0', dependencies }, null, 2) + '\n');
