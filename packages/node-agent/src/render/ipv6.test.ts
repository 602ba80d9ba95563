// Dual stack (issue 11): the IPv6 state rendered from empty as golden text — ip6tables, inet6 sets,
// IPv6 rules/routes/addresses, the ip6 guard — and the IPv4 state of a dual-stack cluster equal to
// the IPv4-only one. Regenerate: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/render/ipv6.test.ts
import assert from 'node:assert/strict';
import { computeNodeState } from '../desired/compute.js';
import { computeFamilyStates } from '../desired/family.js';
import { dualStackInput, fixtureInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { renderIpsetRestore } from '../plan/ipset.js';
import { renderIptablesRestore } from '../plan/iptables.js';
import { ipv6RenderConfig } from './family.js';
import { setNames } from './names.js';
import { renderNetlinkIntents } from './netlink-text.js';
import { emptyParsedIptables, parseIpsetSave } from './parse.js';
import { renderState } from './state.js';
import type { RenderConfig } from './types.js';
import { goldenIn } from './golden-file.js';

const cfg: RenderConfig = RENDER_FIXTURE;
const cfg6 = ipv6RenderConfig(cfg);

const golden = goldenIn(import.meta.dirname);

describe('render IPv6 (golden)', () => {
  it('dual-stack: the IPv6 state from empty', () => {
    const { v6 } = computeFamilyStates(dualStackInput());
    const r = renderState(v6!, cfg6);
    golden('dual-stack.ip6tables', renderIptablesRestore(r.iptables, r.jumps, emptyParsedIptables(), 'SEGRESS').text);
    golden('dual-stack.ipset6', renderIpsetRestore(r.ipsets, new Map(), setNames(cfg6).temp));
    golden('dual-stack.netlink6', renderNetlinkIntents(r));
    golden('dual-stack.guard6', r.guard!.text);
  });

  it('dual-stack: the IPv4 state is the IPv4-only one', () => {
    const { v4 } = computeFamilyStates(dualStackInput());
    const r4 = renderState(v4!, cfg);
    const only = renderState(computeNodeState(fixtureInput()), cfg);
    assert.deepEqual(r4, only);
  });

  it('IPv4-only cluster: no IPv6 state', () => {
    assert.deepEqual(Object.keys(computeFamilyStates(fixtureInput())), ['v4']);
  });

  it('inet6 sets: names fit ipset (31), keep apart from the IPv4 prefix, and read back with their family', () => {
    const r = renderState(computeFamilyStates(dualStackInput()).v6!, cfg6);
    assert.ok(r.ipsets.length > 0);
    for (const s of r.ipsets) {
      assert.ok(s.name.length <= 31 && s.name.startsWith('segress6-'), s.name);
      assert.equal(s.family, 'inet6');
    }
    const saved = 'create segress6-g-x hash:ip family inet6 hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1\nadd segress6-g-x 2001:db8:70::35\n';
    assert.deepEqual([...parseIpsetSave(saved, 'segress6').values()], [{ name: 'segress6-g-x', type: 'hash:ip', family: 'inet6', members: ['2001:db8:70::35'] }]);
    assert.equal(parseIpsetSave(saved, 'segress').size, 0);
  });

  it('ip6tables chain names fit (28)', () => {
    const r = renderState(computeFamilyStates(dualStackInput()).v6!, cfg6);
    for (const t of Object.values(r.iptables)) for (const chain of t.keys()) assert.ok(chain.length <= 28, chain);
  });
});
