import assert from 'node:assert/strict';
import { computeNodeState } from '../../packages/node-agent/src/desired/compute.js';
import { fixtureInput } from '../../packages/node-agent/src/desired/fixtures.js';
import { renderState } from '../../packages/node-agent/src/render/state.js';
import type { RenderConfig } from '../../packages/node-agent/src/render/types.js';
import { renderSameObjects } from './same-objects.js';

const render: RenderConfig = { chainPrefix: 'SEGRESS', ipsetPrefix: 'segress', uplink: 'eth0', vxlanDevice: 'segress.vx', vxlanVNI: 7447, vxlanPort: 4799 };

describe('renderSameObjects', () => {
  it('writes every set, chain, rule, route and the guard the agent programs from empty', () => {
    const want = renderState(computeNodeState(fixtureInput()), render);
    const t = renderSameObjects(want, render);
    for (const s of want.ipsets) assert.match(t.ipset, new RegExp(`^create ${s.name} hash:ip `, 'm'));
    assert.equal((t.ipset.match(/^add /gm) ?? []).length, want.ipsets.reduce((n, s) => n + s.members.length, 0));
    for (const chains of Object.values(want.iptables)) for (const name of (chains as Map<string, string[]>).keys()) {
      assert.ok(t.iptables.some((x) => x.includes(`:${name} `)), name);
    }
    assert.equal((t.ip.match(/^rule add fwmark 0x[0-9a-f]+\/0x[0-9a-f]+ table \d+ priority \d+$/gm) ?? []).length, want.rules.length);
    assert.equal((t.ip.match(/^route replace /gm) ?? []).length, want.routes.length);
    assert.match(t.nft, /table ip segress_guard/);
  });
});
