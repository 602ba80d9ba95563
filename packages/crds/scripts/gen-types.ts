// Writes src/generated/types.ts from schema/*.yaml. Run: npm run gen -w @static-egress/crds
// (or `node --import tsx packages/crds/scripts/gen-types.ts`). `--check` exits 1 on drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTypes } from '../src/codegen/render-types.js';

export { renderTypes };

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_DIR = join(pkgDir, 'schema');
export const TYPES_FILE = join(pkgDir, 'src', 'generated', 'types.ts');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderTypes(SCHEMA_DIR);
  if (process.argv.includes('--check')) {
    const current = readFileSync(TYPES_FILE, 'utf8');
    if (current !== text) {
      console.error(`${TYPES_FILE} is stale: run npm run gen -w @static-egress/crds`);
      process.exit(1);
    }
  } else {
    writeFileSync(TYPES_FILE, text);
    console.log(`wrote ${TYPES_FILE}`);
  }
}
