import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from './kubeconfig.js';

describe('loadKubeConfig', () => {
  it('loads a given file and fails clearly on a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    assert.equal(loadKubeConfig(file).getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.throws(() => loadKubeConfig(join(dir, 'missing')), /--kubeconfig .*missing: file not found/);
  });
});
