// Pure: the agent's own objects of a full apply from empty, as the texts a person would feed to the
// tools by hand — its `ipset restore` text, its `iptables-restore` text(s), its ip rules and routes
// as one `ip -batch`, its egress guard as one `nft -f`. Timed one after the other with nothing read
// first, they are the floor for programming exactly what the agent programs (agent-programming.ts),
// beside the minimal baseline that programs only the director's marks, sets and routes.
import { plan } from '../../packages/node-agent/src/plan/plan.js';
import type { KernelView, Operation } from '../../packages/node-agent/src/plan/types.js';
import { parseIpsetSave, parseIptablesSave } from '../../packages/node-agent/src/render/parse.js';
import { hex } from '../../packages/node-agent/src/render/state.js';
import type { RenderConfig, RenderedState, RouteIntent } from '../../packages/node-agent/src/render/types.js';

export interface SameObjectTexts {
  ipset: string;
  iptables: string[];
  ip: string;
  nft: string;
}

/** An empty node's view, guard table included (absent from the kernel, so it is applied). */
export function emptyKernelView(render: RenderConfig): KernelView {
  return {
    ipsets: parseIpsetSave('', render.ipsetPrefix), iptables: parseIptablesSave('', render.chainPrefix),
    rules: [], routes: [], addresses: [], vxlan: { device: null, neighbors: [], fdb: [] }, guard: null,
  };
}

function routeLine(r: RouteIntent): string {
  const dst = r.dst ?? 'default';
  if (r.type === 'unreachable') return `route replace unreachable ${dst} table ${r.table}`;
  return `route replace ${dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.onlink ? ' onlink' : ''} table ${r.table}`;
}

/** The texts of the agent's plan from empty; throws on an operation a person would need another tool for. */
export function renderSameObjects(want: RenderedState, render: RenderConfig): SameObjectTexts {
  const ops = plan(want, emptyKernelView(render), { render, inPlaceMembers: false, knownAddresses: new Set() }).ops;
  const out: SameObjectTexts = { ipset: '', iptables: [], ip: '', nft: '' };
  const ip: string[] = [];
  const handled: Operation['op'][] = ['ipset-restore', 'iptables-restore', 'rule-add', 'route-replace', 'guard-apply', 'address-add', 'garp'];
  for (const o of ops) {
    if (!handled.includes(o.op)) throw new Error(`same-objects baseline: no hand-written form for ${o.op}`);
    if (o.op === 'ipset-restore') out.ipset += o.text;
    if (o.op === 'iptables-restore') out.iptables.push(o.text);
    if (o.op === 'guard-apply') out.nft += o.text;
    if (o.op === 'route-replace') ip.push(...o.routes.map(routeLine));
    if (o.op === 'rule-add') ip.push(...o.rules.map((r) => `rule add fwmark ${hex(r.fwmark)}/${hex(r.fwmask)} table ${r.table} priority ${r.priority}`));
  }
  out.ip = ip.length ? `${ip.join('\n')}\n` : '';
  return out;
}
