import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateProbeKeyText, loadProbeKey, PROBE_AUTH_HEADER, PROBE_RUN_HEADER, probeHeaders, ProbeVerifier, probeKeyFromText, signProbe,
} from './probe-auth.js';

const key = probeKeyFromText('0123456789abcdef0123456789abcdef');
const other = probeKeyFromText('fedcba9876543210fedcba9876543210');

describe('probe authentication', () => {
  it('accepts a token signed with the key for this node, once', () => {
    const v = new ProbeVerifier({ key, node: 'n1' });
    const t = signProbe(key, 'n1', 1_000_000);
    assert.deepEqual(v.verify(t, 1_000_050), { ok: true, renew: true, sentAt: 1_000_000 });
    assert.deepEqual(v.verify(t, 1_000_060), { ok: false, reason: 'replayed' });
  });

  it('refuses what a pod or a monitoring system can send: nothing, garbage, another key, another node', () => {
    const v = new ProbeVerifier({ key, node: 'n1' });
    assert.equal(v.verify(undefined, 0).ok, false);
    assert.deepEqual(v.verify('hello', 0), { ok: false, reason: 'malformed' });
    assert.deepEqual(v.verify(['a', 'b'], 0), { ok: false, reason: 'malformed' });
    assert.deepEqual(v.verify(signProbe(other, 'n1', 5), 5), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(v.verify(signProbe(key, 'n2', 5), 5), { ok: false, reason: 'bad-signature' });
    const t = signProbe(key, 'n1', 5);
    const tampered = t.replace(/^v1\.5\./, 'v1.6.');
    assert.deepEqual(v.verify(tampered, 6), { ok: false, reason: 'bad-signature' });
    const suspect = signProbe(key, 'n1', 7, { renew: false });
    assert.deepEqual(v.verify(suspect.replace('.-.', '.r.'), 7), { ok: false, reason: 'bad-signature' }, 'renew cannot be forged');
    assert.deepEqual(v.verify(suspect, 7), { ok: true, renew: false, sentAt: 7 });
  });

  it('carries the manager\'s run for the node in its own header, bound to the token (issue 16): a run cannot be forged or moved to another token', () => {
    const v = new ProbeVerifier({ key, node: 'n1' });
    const h = probeHeaders(key, 'n1', 100, { renew: true, run: 'run-A_1' });
    assert.deepEqual(v.verify(h[PROBE_AUTH_HEADER], 100, h[PROBE_RUN_HEADER]), { ok: true, renew: true, sentAt: 100, run: 'run-A_1' });
    const forged = probeHeaders(key, 'n1', 101, { renew: true, run: 'run-A_1' });
    assert.deepEqual(v.verify(forged[PROBE_AUTH_HEADER], 101, forged[PROBE_RUN_HEADER]!.replace('run-A_1.', 'run-B_2.')), { ok: false, reason: 'bad-signature' });
    const other = probeHeaders(key, 'n1', 102, { renew: true, run: 'run-A_1' });
    const moved = probeHeaders(key, 'n1', 103, { renew: true, run: 'run-A_1' });
    assert.deepEqual(v.verify(other[PROBE_AUTH_HEADER], 102, moved[PROBE_RUN_HEADER]), { ok: false, reason: 'bad-signature' }, 'the run of another probe');
    assert.deepEqual(v.verify(moved[PROBE_AUTH_HEADER], 103), { ok: true, renew: true, sentAt: 103 }, 'without the run header (an older manager, or one stripped): a probe with no run, which never continues a lapse');
    assert.deepEqual(Object.keys(probeHeaders(key, 'n1', 104)), [PROBE_AUTH_HEADER], 'no run, no header');
    assert.throws(() => probeHeaders(key, 'n1', 105, { renew: true, run: 'a.b' }), /run id must match/);
  });

  it('an agent from before the run header verifies a new manager\'s token unchanged (either may be upgraded first)', () => {
    const h = probeHeaders(key, 'n1', 200, { renew: true, run: 'run-A_1' });
    assert.equal(h[PROBE_AUTH_HEADER]!.split('.').length, 5, 'the token keeps its five parts');
    assert.deepEqual(new ProbeVerifier({ key, node: 'n1' }).verify(h[PROBE_AUTH_HEADER], 200), { ok: true, renew: true, sentAt: 200 });
  });

  it('refuses tokens outside the skew window (a captured token is worthless later)', () => {
    const v = new ProbeVerifier({ key, node: 'n1', maxSkewMs: 1000 });
    assert.deepEqual(v.verify(signProbe(key, 'n1', 10_000), 11_001), { ok: false, reason: 'stale' });
    assert.deepEqual(v.verify(signProbe(key, 'n1', 10_000), 8_999), { ok: false, reason: 'stale' });
    assert.equal(v.verify(signProbe(key, 'n1', 10_000), 11_000).ok, true);
  });

  it('forgets old nonces (bounded memory) without reopening replay inside the window', () => {
    const v = new ProbeVerifier({ key, node: 'n1', maxSkewMs: 100 });
    const first = signProbe(key, 'n1', 0);
    assert.equal(v.verify(first, 0).ok, true);
    for (let t = 10; t <= 10_000; t += 10) assert.equal(v.verify(signProbe(key, 'n1', t), t).ok, true);
    assert.ok((v as unknown as { seen: Map<string, number> }).seen.size <= 25);
    assert.deepEqual(v.verify(first, 10_000), { ok: false, reason: 'stale' });
  });

  it('loads a key file and refuses short keys with a message that says what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-probe-key-'));
    writeFileSync(join(dir, 'k'), `${generateProbeKeyText()}\n`);
    const k = loadProbeKey(join(dir, 'k'));
    assert.equal(k.bytes.length, 64);
    writeFileSync(join(dir, 'short'), 'abc');
    assert.throws(() => loadProbeKey(join(dir, 'short')), /at least 16 bytes .*openssl rand/);
    assert.throws(() => loadProbeKey(join(dir, 'missing')), /cannot read the probe key file/);
  });
});
