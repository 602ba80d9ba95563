// One line of `conntrack -E -e NEW,DESTROY -o timestamp,extended,id` as data. Pure. The golden lines
// in testdata/conntrack-events.txt were captured from the real tool in a lab namespace:
//   [1796015188.018444]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=… dst=… sport=… dport=… [UNREPLIED] src=… dst=… sport=… dport=… id=…
//   [1796015190.248537]\t[DESTROY] ipv4     2 tcp      6 TIME_WAIT src=… … packets=6 bytes=322 src=… … packets=4 bytes=222 [ASSURED] id=…
// The first tuple is the original direction (as the pod sent it), the second the reply direction
// (after NAT: its destination is the address the SNAT chose). Byte counters appear only when
// net.netfilter.nf_conntrack_acct is on in the namespace.
import { canonicalIP } from '@static-egress/crds';

export interface ConntrackTuple {
  src: string;
  dst: string;
  /** absent for protocols without ports (ICMP: the echo id is not a port) */
  sport?: number;
  dport?: number;
  packets?: number;
  bytes?: number;
}

export interface ConntrackEvent {
  type: 'new' | 'destroy';
  /** event time from `-o timestamp`, milliseconds since the epoch */
  timeMs: number;
  family: 'ipv4' | 'ipv6';
  protocol: string;
  /** the kernel's id of the entry (`-o id`): pairs a flow's start with its end */
  id: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
}

const HEAD = /^\[(\d+)\.(\d{1,9})\]\s+\[(NEW|DESTROY)\]\s+(ipv4|ipv6)\s+\d+\s+([a-z0-9-]+)\s+\d+\s/;
const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'packets', 'bytes', 'type', 'code']);
const ICMP = new Set(['icmp', 'icmpv6']);

/** A conntrack event line, or undefined for anything else (the tool's banner, [UPDATE], a torn line). */
export function parseConntrackEvent(line: string): ConntrackEvent | undefined {
  const head = HEAD.exec(line);
  if (!head) return undefined;
  const [, sec, frac, kind, family, protocol] = head as unknown as [string, string, string, string, 'ipv4' | 'ipv6', string];
  const tuples: Record<string, string>[] = [];
  let id: string | undefined;
  for (const tok of line.slice(head[0].length).split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq <= 0) continue; // state, timeout, [UNREPLIED], [ASSURED]
    const key = tok.slice(0, eq), value = tok.slice(eq + 1);
    if (key === 'src') tuples.push({});
    const cur = tuples[tuples.length - 1];
    // ICMP tuples carry their own id=; the entry's id is the one after them (or any id on other protocols)
    if (key === 'id' && !(ICMP.has(protocol) && cur && !('id' in cur))) id = value;
    else if (cur && (TUPLE_KEYS.has(key) || key === 'id')) cur[key] = value;
  }
  const [o, r] = tuples;
  const original = o && tupleOf(o), reply = r && tupleOf(r);
  if (!original || !reply || id === undefined) return undefined;
  const timeMs = Number(sec) * 1000 + Math.floor(Number(`0.${frac}`) * 1000);
  return { type: kind === 'NEW' ? 'new' : 'destroy', timeMs, family, protocol, id, original, reply };
}

function tupleOf(f: Record<string, string>): ConntrackTuple | undefined {
  const src = canonicalIP(f['src']), dst = canonicalIP(f['dst']);
  if (!src || !dst) return undefined;
  const t: ConntrackTuple = { src, dst };
  for (const k of ['sport', 'dport', 'packets', 'bytes'] as const) {
    const v = f[k];
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) return undefined;
    t[k] = Number(v);
  }
  return t;
}
