import assert from 'node:assert/strict';
import { isLeftoverProcess, planDownAll, type DownAllInput } from './cleanup-plan.js';

const BASE = '/run/static-egress-lab';
const live = { prefix: 'selaaaa', dir: `${BASE}/selaaaa`, ownerAlive: true };
const dead = { prefix: 'selbbbb', dir: `${BASE}/selbbbb`, ownerAlive: false };

function input(over: Partial<DownAllInput> = {}): DownAllInput {
  return {
    runs: [live, dead],
    netns: ['selaaaa-lan', 'selaaaa-n1', 'selaaaa-p1', 'selbbbb-lan', 'selbbbb-p100', 'selcccc-n2', 'other', 'sel-x', 'se-k1'],
    dirs: [`${BASE}/selaaaa`, `${BASE}/selbbbb`, `${BASE}/selcccc`],
    keptLogs: ['selaaaa', 'selcccc'],
    force: false,
    ...over,
  };
}

describe('lab down --all: what is removed (planDownAll)', () => {
  it('spares a run whose owner is alive: its namespaces, directory and kept logs stay', () => {
    const p = planDownAll(input());
    assert.deepEqual(p.spared, ['selaaaa']);
    assert.deepEqual(p.stop, []);
    for (const n of ['selaaaa-lan', 'selaaaa-n1', 'selaaaa-p1']) assert.ok(!p.netns.includes(n), n);
    assert.ok(!p.dirs.includes(`${BASE}/selaaaa`));
    assert.deepEqual(p.keptLogs, ['selcccc']);
    assert.deepEqual(p.sparedDirs, [`${BASE}/selaaaa`]);
  });

  it('removes a run whose owner is gone, and leftovers that belong to no run', () => {
    const p = planDownAll(input());
    assert.deepEqual(p.remove, ['selbbbb']);
    assert.deepEqual(p.netns, ['selbbbb-lan', 'selbbbb-p100', 'selcccc-n2']);
    assert.deepEqual(p.dirs, [`${BASE}/selbbbb`, `${BASE}/selcccc`]);
  });

  it('never touches namespaces that are not lab namespaces', () => {
    const p = planDownAll(input({ force: true }));
    for (const n of ['other', 'sel-x', 'se-k1']) assert.ok(!p.netns.includes(n), n);
  });

  it('--force stops live runs through their owner and removes everything', () => {
    const p = planDownAll(input({ force: true }));
    assert.deepEqual(p.stop, ['selaaaa']);
    assert.deepEqual(p.remove, ['selbbbb']);
    assert.deepEqual(p.spared, []);
    assert.deepEqual([...p.netns].sort(), ['selaaaa-lan', 'selaaaa-n1', 'selaaaa-p1', 'selbbbb-lan', 'selbbbb-p100', 'selcccc-n2'].sort());
    assert.equal(p.dirs.length, 3);
    assert.deepEqual(p.keptLogs, ['selaaaa', 'selcccc']);
  });

  it('two live runs side by side: neither loses anything', () => {
    const other = { prefix: 'selcccc', dir: `${BASE}/selcccc`, ownerAlive: true };
    const p = planDownAll(input({ runs: [live, other] }));
    assert.deepEqual(p.remove, []);
    assert.deepEqual(p.netns, ['selbbbb-lan', 'selbbbb-p100']);
    assert.deepEqual(p.dirs, [`${BASE}/selbbbb`]);
  });

  it('a spared run is matched by prefix even when found under another base directory', () => {
    const p = planDownAll(input({ dirs: ['/tmp/static-egress-lab/selaaaa'] }));
    assert.deepEqual(p.dirs, []);
  });
});

describe('lab down --all: which processes are leftovers (isLeftoverProcess)', () => {
  const bases = [BASE, '/tmp/static-egress-lab'];
  it('kills a process naming a dead run, spares one naming a live run, ignores the rest', () => {
    assert.equal(isLeftoverProcess(`socat UNIX-LISTEN:${BASE}/selbbbb/api.sock,fork`, bases, [live.dir]), true);
    assert.equal(isLeftoverProcess(`node echo-server.ts --log ${BASE}/selaaaa/logs/echo-server.jsonl`, bases, [live.dir]), false);
    assert.equal(isLeftoverProcess('socat TCP-LISTEN:6443', bases, []), false);
  });
});
