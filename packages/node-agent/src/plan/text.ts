// A plan as text, one operation per line with its payload indented: for golden tests and logs. Pure.
import { renderRouteText } from '../render/netlink-text.js';
import { hex } from '../render/state.js';
import type { RuleIntent, VxlanIntent } from '../render/types.js';
import { missing } from './netlink.js';
import type { Operation } from './types.js';

const ruleText = (r: RuleIntent) => `${r.priority}: from all fwmark ${hex(r.fwmark)}/${hex(r.fwmask)} lookup ${r.table}`;
const indent = (lines: readonly string[]) => lines.map((l) => `    ${l}`);
const textLines = (text: string) => text.split('\n').filter((l) => l);

function vxlanLines(want: VxlanIntent, have: VxlanIntent): string[] {
  const d = want.device;
  const out: string[] = [];
  if (d && JSON.stringify(d) !== JSON.stringify(have.device)) out.push(`device ${d.name} id ${d.vni} dstport ${d.port} local ${d.local} dev ${d.uplink} address ${d.mac}`);
  for (const n of missing(want.neighbors, have.neighbors, (x) => `${x.ip}|${x.mac}`)) out.push(`neigh ${n.ip} lladdr ${n.mac}`);
  for (const f of missing(want.fdb, have.fdb, (x) => `${x.mac}|${x.dst}|${x.via}`)) out.push(`fdb ${f.mac} dst ${f.dst} via ${f.via}`);
  return out;
}

function operationLines(o: Operation): string[] {
  switch (o.op) {
    case 'vxlan-add': return [`vxlan-add (rp_filter re-asserted)`, ...indent(vxlanLines(o.want, o.have))];
    case 'vxlan-remove': return [`vxlan-remove ${o.want.device ? 'stale neighbours and fdb entries' : `device ${o.name}`}`];
    case 'ipset-restore': return ['ipset-restore', ...indent(textLines(o.text))];
    case 'ipset-destroy': return ['ipset-destroy', ...indent(o.names)];
    case 'ipset-members': return ['ipset-members', ...indent(o.changes.map((c) => [c.set, ...c.add.map((m) => `+${m}`), ...c.del.map((m) => `-${m}`)].join(' ')))];
    case 'iptables-restore': return [`iptables-restore${o.handover ? ' (handover: the released SNAT stays)' : ''}`, ...indent(textLines(o.text))];
    case 'address-del': case 'address-add': return [`${o.op} ${o.dev} ${o.ips.join(' ')}`];
    case 'garp': return [`garp ${o.dev} ${o.ips.join(' ')}${o.always ? ' (re-announce: held, newly leased)' : ''}`];
    case 'lease-setup': return [`lease-setup owned ${o.owned.join(' ') || '(none)'}`];
    case 'lease-claim': return [`lease-claim ${o.ips.join(' ')} for ${o.ms} ms`];
    case 'lease-end': case 'conntrack-forget': return [`${o.op} ${o.ips.join(' ')}`];
    case 'lease-remove': case 'guard-remove': return [o.op];
    case 'guard-apply': return ['guard-apply', ...indent(textLines(o.text))];
    case 'route-replace': case 'route-del': return [o.op, ...indent(o.routes.map(renderRouteText))];
    case 'rule-add': case 'rule-del': return [o.op, ...indent(o.rules.map(ruleText))];
  }
}

export function renderPlanText(ops: readonly Operation[]): string {
  return ops.map((o, i) => {
    const [head, ...rest] = operationLines(o);
    return [`${i + 1}. ${head}`, ...rest].join('\n');
  }).join('\n') + (ops.length ? '\n' : '');
}
