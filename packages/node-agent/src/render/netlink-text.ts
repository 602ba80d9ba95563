// Netlink intents as `ip`-like text: for golden tests, logs and the kernel-suite dumps. Pure.
import { ipFamilyOf } from '@static-egress/crds';
import { hex } from './state.js';
import type { RenderedState, RouteIntent } from './types.js';
import { renderVxlanDeviceText } from './vxlan.js';

export function renderRouteText(r: RouteIntent): string {
  const dst = r.dst ?? 'default';
  const base = r.type === 'unreachable' ? `unreachable ${dst}` : `${dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.onlink ? ' onlink' : ''}`;
  return `${base}${r.metric ? ` metric ${r.metric}` : ''} table ${r.table}`;
}

export function renderNetlinkIntents(s: RenderedState): string {
  const lines: string[] = [];
  for (const r of [...s.rules].sort((a, b) => a.priority - b.priority)) lines.push(`rule ${r.priority}: from all fwmark ${hex(r.fwmark)}/${hex(r.fwmask)} lookup ${r.table}`);
  for (const r of [...s.routes].sort((a, b) => a.table - b.table)) lines.push(`route ${renderRouteText(r)}`);
  // IPv6: added without duplicate address detection (kernel/linux-ip6.ts), so it is usable at once
  for (const a of s.addresses) lines.push(ipFamilyOf(a.ip) === 6 ? `address ${a.ip}/128 dev ${a.dev} nodad` : `address ${a.ip}/32 dev ${a.dev}`);
  const d = s.vxlan.device;
  if (d) lines.push(renderVxlanDeviceText(d));
  for (const n of s.vxlan.neighbors) lines.push(`neigh ${n.ip} lladdr ${n.mac} dev ${d?.name} nud permanent`);
  for (const f of s.vxlan.fdb) lines.push(`fdb ${f.mac} dev ${d?.name} dst ${f.dst} via ${f.via}`);
  return `${lines.join('\n')}\n`;
}
