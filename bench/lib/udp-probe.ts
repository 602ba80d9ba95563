// A UDP prober for the convergence benchmarks, run inside a pod namespace with `ip netns exec`.
// Unlike the e2e probe (one socket, one conntrack entry for its whole life), `--fresh` sends every
// datagram from a new socket, i.e. a new flow: a flow's NAT is decided by its first packet, so only new
// flows show when the rules changed. Writes the e2e probe's record format to --out on SIGTERM/SIGINT and
// prints "ready" once the first reply came back.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: '198.51.100.10' },
    port: { type: 'string', default: '8081' },
    interval: { type: 'string', default: '5' },
    fresh: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
if (!values.out) {
  console.error('--out is required');
  process.exit(2);
}
const out = values.out;
const target = values.target;
const port = Number(values.port);
const interval = Number(values.interval);
/** the target's family (an IPv6 echo server in the IPv6-only lab) */
const family = isIPv6(target) ? 'udp6' : 'udp4';
const origin = Date.now() - performance.now();
const now = (): number => Math.round((origin + performance.now()) * 1000) / 1000;
const sends: [number, number][] = [];
const replies: [number, number, string][] = [];
const errors: [number, string][] = [];
let seq = 0;
let ready = false;

const onMessage = (m: Buffer): void => {
  const [src, s] = m.toString().trim().split(' ');
  if (src === undefined || s === undefined) return;
  replies.push([Number(s), now(), src]);
  if (!ready) {
    ready = true;
    console.log('ready');
  }
};

let shared: Socket | undefined;
if (!values.fresh) {
  shared = createSocket(family);
  shared.on('message', onMessage);
  shared.on('error', (e) => errors.push([now(), e.message]));
}

function tick(): void {
  const s = seq++;
  const payload = String(s);
  if (shared) {
    sends.push([s, now()]);
    shared.send(payload, port, target, (err) => { if (err) errors.push([now(), err.message]); });
    return;
  }
  const sock = createSocket(family);
  let closed = false;
  const close = (): void => { if (!closed) { closed = true; sock.close(); } };
  sock.on('message', (m) => { onMessage(m); close(); });
  sock.on('error', (e) => { errors.push([now(), e.message]); close(); });
  sends.push([s, now()]);
  sock.send(payload, port, target, (err) => { if (err) { errors.push([now(), err.message]); close(); } });
  setTimeout(close, 1000).unref();
}

const timer = setInterval(tick, interval);
let done = false;
const finish = (): void => {
  if (done) return;
  done = true;
  clearInterval(timer);
  setTimeout(() => {
    writeFileSync(out, JSON.stringify({ mode: values.fresh ? 'udp-fresh' : 'udp', target, interval, sends, replies, errors }));
    process.exit(0);
  }, 300);
};
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
