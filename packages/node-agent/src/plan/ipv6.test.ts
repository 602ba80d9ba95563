// The IPv6 state's plans (dual stack, issue 11) as golden text, in the same safe order as IPv4's:
// from empty, and the handover (api's IPv6 IP leaves this node, db's comes here: the address out
// before the routes, the released SNAT in the second restore, address in, then the NA).
// Regenerate: UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/plan/ipv6.test.ts
import assert from 'node:assert/strict';
import { computeFamilyStates } from '../desired/family.js';
import { dualStackInput, RENDER_FIXTURE } from '../desired/fixtures.js';
import type { NodeStateInput } from '../desired/types.js';
import { ipv6RenderConfig } from '../render/family.js';
import { emptyParsedIptables } from '../render/parse.js';
import { renderState } from '../render/state.js';
import type { RenderConfig, RenderedState } from '../render/types.js';
import { modelOf } from './damage.js';
import { plan } from './plan.js';
import { planViolations } from './safety.js';
import { renderPlanText } from './text.js';
import type { KernelView } from './types.js';
import { goldenIn } from '../render/golden-file.js';

const cfg: RenderConfig = ipv6RenderConfig(RENDER_FIXTURE);
const want = (over: Partial<NodeStateInput> = {}) => renderState(computeFamilyStates(dualStackInput(over)).v6!, cfg);
const empty = (): KernelView => ({ ipsets: new Map(), iptables: emptyParsedIptables(), rules: [], routes: [], addresses: [], vxlan: { device: null, neighbors: [], fdb: [] } });

const golden = goldenIn(import.meta.dirname);

/** api's 2001:db8:0:2::102 (held here) moves to n3; db's 2001:db8:0:2::100 comes here from n2. */
function handover6(): Partial<NodeStateInput> {
  const [db, api, dark] = dualStackInput().policies;
  const moved = (p: typeof db, from: string, to: [string, string]) => ({ ...p!, assignments: new Map([...p!.assignments].map(([ip, n]) => [ip, ip === from ? to[1] : n])) });
  return { policies: [moved(db, '2001:db8:0:2::100', ['', 'n1']), moved(api, '2001:db8:0:2::102', ['', 'n3']), dark!] };
}

describe('plan IPv6 (golden)', () => {
  const moves: Record<string, () => [RenderedState | null, RenderedState]> = {
    'ipv6-from-empty': () => [null, want()],
    'ipv6-handover': () => [want(), want(handover6())],
  };
  for (const [name, move] of Object.entries(moves)) {
    it(`${name}: golden plan, in a safe order`, () => {
      const [from, to] = move();
      const current = from ? modelOf(from) : empty();
      const p = plan(to, current, { render: cfg, inPlaceMembers: true, knownAddresses: new Set(from?.addresses.map((a) => a.ip)) });
      golden(`${name}.plan`, renderPlanText(p.ops));
      assert.deepEqual(planViolations(p.ops, current, to, cfg), []);
    });
  }
});
