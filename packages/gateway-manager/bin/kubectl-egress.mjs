#!/usr/bin/env node
// `kubectl egress` / `egressctl` as an npm bin, run from the TypeScript source through tsx (as every
// program in this repo is); kubectl finds it on PATH as kubectl-egress. The image ships the bundle.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/egressctl.ts');
await main(process.argv.slice(2));
