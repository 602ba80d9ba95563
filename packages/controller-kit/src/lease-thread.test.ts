import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LeaderElector } from './leader-election.js';
import { leaseThreadFile, ThreadedLeaderElector } from './lease-thread.js';
import { loadKubeConfig } from './kubeconfig.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Blocks this thread (a long pass, a GC): nothing on its event loop runs meanwhile. */
const busy = (ms: number): void => { const end = Date.now() + ms; while (Date.now() < end) { /* stall */ } };
const waitUntil = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
};

describe('leaseThreadFile', () => {
  it('runs the module itself, or its own bundle beside a daemon\'s bundle, else the daemon\'s bundle', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'se-lease-file-')), 'dist');
    mkdirSync(dir);
    const daemon = pathToFileURL(join(dir, 'gateway-manager.js')).href;
    assert.equal(leaseThreadFile(daemon).href, daemon, 'no lease-thread.js beside it: the daemon\'s bundle');
    writeFileSync(join(dir, 'lease-thread.js'), '');
    assert.equal(leaseThreadFile(daemon).href, pathToFileURL(join(dir, 'lease-thread.js')).href);
    const source = pathToFileURL('/src/controller-kit/src/lease-thread.ts').href;
    assert.equal(leaseThreadFile(source).href, source);
  });
});

describe('ThreadedLeaderElector (issue 16 §4)', function () {
  this.timeout(30_000);
  let server: ChildProcess;
  let kubeconfig = '';

  before(async () => {
    server = spawn(process.execPath, [join(import.meta.dirname, 'testdata', 'fake-lease-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'se-lease-')), 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', '',
    ].join('\n'));
  });
  after(() => server.kill());

  const timing = { namespace: 'ns', name: 'lease', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };

  it('keeps the Lease while the main thread is blocked past the renew deadline; an elector on the main thread loses it', async () => {
    const events: string[] = [];
    const threaded = new ThreadedLeaderElector({
      ...timing, name: 'threaded', identity: 'a', kubeconfig, loggerName: 'test',
      onStartedLeading: () => void events.push('started'), onStoppedLeading: () => void events.push('stopped'),
    });
    threaded.start();
    await waitUntil('threaded leads', () => threaded.isLeader() && events.includes('started'));
    const inline = new LeaderElector({ ...timing, name: 'inline', identity: 'a', kc: loadKubeConfig(kubeconfig),
      onStoppedLeading: () => void events.push('inline stopped') });
    inline.start();
    await waitUntil('inline leads', () => inline.isLeader());
    busy(3_000); // longer than the renew deadline
    assert.equal(threaded.isLeader(), true, 'the worker renewed meanwhile');
    await sleep(500); // the main thread's timers run now (it may lead again since: nobody else wants its Lease)
    assert.ok(events.includes('inline stopped'), 'the main-thread elector missed its deadline');
    assert.deepEqual(events.filter((e) => e !== 'inline stopped'), ['started'], 'the threaded term went on');
    await inline.stop();
    await threaded.release();
    assert.equal(threaded.isLeader(), false);
    assert.deepEqual(events.filter((e) => e !== 'inline stopped'), ['started', 'stopped']);
  });

  it('of two, one leads; released, the other takes over at once', async () => {
    const a = new ThreadedLeaderElector({ ...timing, name: 'pair', identity: 'a', kubeconfig, loggerName: 'test' });
    const b = new ThreadedLeaderElector({ ...timing, name: 'pair', identity: 'b', kubeconfig, loggerName: 'test' });
    a.start();
    await waitUntil('a leads', () => a.isLeader());
    b.start();
    await sleep(1_000);
    assert.equal(b.isLeader(), false);
    await waitUntil('b sees a', () => b.leader() === 'a');
    await a.release();
    await waitUntil('b leads', () => b.isLeader(), 5_000);
    await b.stop();
  });
});
