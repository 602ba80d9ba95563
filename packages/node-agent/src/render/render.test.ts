// Golden tests: the rendered text must match testdata/*.golden exactly.
// Regenerate after an intended change: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/render/render.test.ts
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput } from '../desired/fixtures.js';
import { setNames } from './names.js';
import { renderNetlinkIntents } from './netlink-text.js';
import { emptyParsedIptables, parseIpsetSave, parseIptablesSave } from './parse.js';
import { renderIpsetRestore, renderIptablesCleanup, renderIptablesRestore } from './restore.js';
import { renderState } from './state.js';
import type { RenderConfig } from './types.js';

const cfg: RenderConfig = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };
const temp = setNames(cfg).temp;

function golden(name: string, actual: string): void {
  const path = join(import.meta.dirname, 'testdata', `${name}.golden`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name}.golden differs (UPDATE_GOLDEN=1 to accept)`);
}

describe('render (golden)', () => {
  for (const mode of ['direct', 'vxlan'] as const) {
    it(`${mode}: from empty`, () => {
      const r = renderState(computeNodeState(fixtureInput({ mode })), cfg);
      golden(`${mode}.iptables`, renderIptablesRestore(r.iptables, r.jumps, emptyParsedIptables(), 'SEGRESS').text);
      golden(`${mode}.ipset`, renderIpsetRestore(r.ipsets, new Map(), temp));
      golden(`${mode}.netlink`, renderNetlinkIntents(r));
    });
  }

  it('incremental: only changed chains and sets, stale ones deleted, misplaced jumps fixed', () => {
    const input = fixtureInput();
    const before = renderState(computeNodeState(input), cfg);
    // the kernel as applied, plus a foreign rule inserted ahead of our PREROUTING jump
    const saved = [
      '*mangle', ':PREROUTING ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]',
      ...[...before.iptables.mangle.keys()].map((c) => `:${c} - [0:0]`),
      '-A PREROUTING -j CNI-MARK', '-A PREROUTING -j SEGRESS-MARK', '-A FORWARD -j SEGRESS-MSS',
      ...[...before.iptables.mangle.values()].flat(), 'COMMIT',
      '*nat', ':POSTROUTING ACCEPT [0:0]', ...[...before.iptables.nat.keys()].map((c) => `:${c} - [0:0]`),
      '-A POSTROUTING -j SEGRESS-SKIP', '-A POSTROUTING -j SEGRESS-SNAT', '-A POSTROUTING -j CNI-MASQ', ...[...before.iptables.nat.values()].flat(), 'COMMIT',
      '*filter', ':FORWARD ACCEPT [0:0]', ...[...before.iptables.filter.keys()].map((c) => `:${c} - [0:0]`),
      '-A FORWARD -j SEGRESS-FWD', ...[...before.iptables.filter.values()].flat(), 'COMMIT',
    ].join('\n');
    const current = parseIptablesSave(saved, 'SEGRESS');
    // web-2 leaves, the dark policy is deleted
    const after = renderState(computeNodeState({ ...input, pods: input.pods.filter((p) => p.key !== 'shop/web-2'), policies: input.policies.slice(0, 2) }), cfg);
    golden('incremental.iptables', renderIptablesRestore(after.iptables, after.jumps, current, 'SEGRESS').text);
    const sets = parseIpsetSave(before.ipsets.flatMap((s) => [`create ${s.name} ${s.type} family inet`, ...s.members.map((m) => `add ${s.name} ${m}`)]).join('\n'), 'segress');
    golden('incremental.ipset', renderIpsetRestore(after.ipsets, sets, temp));
    golden('cleanup.iptables', renderIptablesCleanup(current, 'SEGRESS'));
  });
});
