import assert from 'node:assert/strict';
import { ensureProbeKey, type SecretStore } from './probe-key.js';

/** Secrets in memory, with the API's create-if-absent semantics. */
function store(initial: Record<string, Record<string, string>> = {}, race?: Record<string, string>): SecretStore & { data: typeof initial } {
  const data = { ...initial };
  let raced = false;
  return {
    data,
    async read(name) { return data[name]; },
    async create(name, d) {
      if (race && !raced) { raced = true; data[name] = race; return 'exists'; }
      if (data[name]) return 'exists';
      data[name] = d;
      return 'created';
    },
  };
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ensureProbeKey', () => {
  it('creates a random key when the Secret is missing, and reads it back the same afterwards', async () => {
    const s = store();
    const a = await ensureProbeKey(s, 'k');
    assert.equal(a.created, true);
    assert.equal(a.key.bytes.length, 64);
    const b = await ensureProbeKey(s, 'k');
    assert.equal(b.created, false);
    assert.deepEqual(b.key.bytes, a.key.bytes);
  });

  it('uses an existing Secret; another replica winning the race is read, not overwritten', async () => {
    const mine = await ensureProbeKey(store({ k: { key: b64('abcdefghijklmnopqrstuvwxyz') } }), 'k');
    assert.equal(mine.key.bytes.toString(), 'abcdefghijklmnopqrstuvwxyz');
    const raced = await ensureProbeKey(store({}, { key: b64('0123456789abcdef0123') }), 'k');
    assert.equal(raced.created, false);
    assert.equal(raced.key.bytes.toString(), '0123456789abcdef0123');
  });

  it('a Secret without the field, or with a short key, is an error that says what to do', async () => {
    await assert.rejects(ensureProbeKey(store({ k: { other: b64('x') } }), 'k'), /no "key" field/);
    await assert.rejects(ensureProbeKey(store({ k: { key: b64('short') } }), 'k'), /at least 16 bytes/);
  });
});
