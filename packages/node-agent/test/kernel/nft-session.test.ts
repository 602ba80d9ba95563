// The long-lived `nft -i` that carries the lease renewals (issue 16), in a real namespace: each batch
// is acknowledged as one transaction (a renewal of a lapsed lease fails whole and changes nothing),
// many batches run on one process, a killed process is replaced by the next batch, and a process is
// retired after its batches (nft -i's in-memory line history made each batch slower) with no
// history file of its own.
// Needs root and nftables.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { LinuxLeaseTable, type NftRunner } from '../../src/kernel/linux-lease.js';
import { NftSession } from '../../src/kernel/nft-session.js';
import { leaseNames } from '../../src/render/lease.js';
import { deleteNamespaces, runPrefix } from './netns.js';

const A = '192.0.2.100';
const B = '192.0.2.101';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('nft session (nft -i, real namespace)', function () {
  this.timeout(60_000);
  const prefix = runPrefix();
  const ns = `${prefix}-gw`;
  const inNs: NftRunner = async (args, input) => {
    const r = await execa('ip', ['netns', 'exec', ns, 'nft', ...args], { input, reject: false });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const session = new NftSession({ command: ['ip', 'netns', 'exec', ns, 'nft', '-i'] });
  const lease = new LinuxLeaseTable(leaseNames('sektest'), inNs, session);

  before(async () => {
    await execa('ip', ['netns', 'add', ns]);
    await lease.ensure([A, B]);
  });
  after(async () => {
    session.close();
    await deleteNamespaces(prefix);
  });

  it('renews running leases, and a lapsed one fails whole without being revived', async () => {
    await lease.claim([A, B], 60_000);
    assert.deepEqual(await lease.renew([A, B], 60_000), []);
    await lease.claim([B], 200);
    await sleep(400);
    assert.deepEqual(await lease.renew([A, B], 60_000), [B], 'only the lapsed lease is reported');
    assert.deepEqual([...(await lease.read()).leased.keys()], [A], 'the lapsed lease was not revived');
  });

  it('runs many batches on one process, in order', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => lease.renew([A], 60_000)));
    assert.ok(results.every((r) => r.length === 0));
    const bad = await session.run(`delete element arp sektest_lease leased { ${B} }\n`);
    assert.equal(bad.ok, false, 'deleting an absent element fails');
    assert.match(bad.error, /No such file or directory/);
  });

  it('replaces a killed nft process at the next batch', async () => {
    const pids = (await execa('ip', ['netns', 'pids', ns])).stdout.split('\n').filter(Boolean);
    assert.equal(pids.length, 1, 'one long-lived nft');
    process.kill(Number(pids[0]), 'SIGKILL');
    await sleep(100);
    assert.deepEqual(await lease.renew([A], 60_000), []);
  });

  it('hands over to a fresh nft after maxBatches, which reads and writes no history file', async () => {
    const short = new NftSession({ command: ['ip', 'netns', 'exec', ns, 'nft', '-i'], maxBatches: 3 });
    const nftPids = async () => (await execa('ip', ['netns', 'pids', ns])).stdout.split('\n').filter(Boolean)
      .filter((pid) => pid !== String(process.pid));
    try {
      const before = new Set(await nftPids());
      for (let i = 0; i < 3; i++) assert.equal((await short.run(`add element arp sektest_lease leased { ${A} timeout 60s }`)).ok, true);
      await sleep(200); // the retired process exits at the end of its input
      const after = (await nftPids()).filter((pid) => !before.has(pid));
      assert.equal(after.length, 1, 'exactly one process of this session runs: the fresh one, started before it is needed');
      const env = (await execa('cat', [`/proc/${after[0]}/environ`])).stdout.split('\0');
      assert.ok(env.includes('HOME=/dev/null'), `nft runs with HOME=/dev/null (no history file): ${env.filter((e) => e.startsWith('HOME')).join()}`);
      assert.equal((await short.run(`add element arp sektest_lease leased { ${A} timeout 60s }`)).ok, true, 'the fresh process takes the next batch');
    } finally {
      short.close();
    }
  });
});
