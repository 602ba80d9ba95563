// Golden tests: the whole rendered state, as programmed into an empty kernel, must match
// testdata/*.golden exactly (plan/plan.test.ts has the goldens of changes against a kernel).
// Regenerate after an intended change: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/render/render.test.ts
import { computeNodeState } from '../desired/compute.js';
import { fixtureInput, perDestinationInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import { setNames } from './names.js';
import { renderNetlinkIntents } from './netlink-text.js';
import { emptyParsedIptables } from './parse.js';
import { renderIpsetRestore } from '../plan/ipset.js';
import { renderIptablesRestore } from '../plan/iptables.js';
import { renderState } from './state.js';
import type { RenderConfig } from './types.js';
import { goldenIn } from './golden-file.js';

const cfg: RenderConfig = RENDER_FIXTURE;
const temp = setNames(cfg).temp;

const golden = goldenIn(import.meta.dirname);

describe('render (golden)', () => {
  for (const mode of ['direct', 'vxlan'] as const) {
    it(`${mode}: from empty`, () => {
      const r = renderState(computeNodeState(fixtureInput({ mode })), cfg);
      golden(`${mode}.iptables`, renderIptablesRestore(r.iptables, r.jumps, emptyParsedIptables(), 'SEGRESS').text);
      golden(`${mode}.ipset`, renderIpsetRestore(r.ipsets, new Map(), temp));
      golden(`${mode}.netlink`, renderNetlinkIntents(r));
      golden(`${mode}.guard`, r.guard!.text);
    });
  }

  // The rule order of issue 9: a pod in the sets of two policies; the mark rules from the least to
  // the most specific route (api's claim clears db's mark only where db does not apply), the SNAT
  // and FORWARD rules most specific first.
  it('per-destination: one pod, two policies', () => {
    const r = renderState(computeNodeState(perDestinationInput()), cfg);
    golden('per-destination.iptables', renderIptablesRestore(r.iptables, r.jumps, emptyParsedIptables(), 'SEGRESS').text);
    golden('per-destination.guard', r.guard!.text);
  });
});
