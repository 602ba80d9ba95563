// Bundles the daemons and the CLI into dist/ (node_modules stay external) after `tsc` type-checked them.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

// Our workspace packages are bundled in (they export TypeScript sources); registry dependencies stay
// external and come from node_modules.
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));

const entries = {
  'gateway-manager': 'packages/gateway-manager/src/main.ts',
  'node-agent': 'packages/node-agent/src/main.ts',
  egressctl: 'packages/gateway-manager/src/cli/egressctl.ts',
  // the manager's leader-election worker thread runs this alone, not the manager's whole bundle
  'lease-thread': 'packages/controller-kit/src/lease-thread.ts',
};
for (const [name, entry] of Object.entries(entries)) {
  if (!existsSync(entry)) continue;
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    external: Object.keys(dependencies), outfile: `dist/${name}.js`, sourcemap: true, logLevel: 'warning' });
  console.log(`built dist/${name}.js`);
}
