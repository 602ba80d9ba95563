// A continuous prober, run inside a pod namespace with `ip netns exec`. Until SIGTERM/SIGINT it sends
// a sequence number every --interval ms and records send times and what came back; then it writes
// {mode, target, sends: [[seq, t]], replies: [[seq, t, src]], errors: [[t, message]]} to --out.
//   --mode udp     one datagram per tick to the echo server's UDP port (reply: "<src> <seq>");
//   --mode stream  one line per tick over ONE TCP connection (reply: "<src> <seq>"); a reset or
//                  close is recorded as an error and the probe does not reconnect: the point is
//                  whether that connection survives.
// Times are wall-clock ms (Date.now() + sub-ms from performance.now()).
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { connect, isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'udp' },
    target: { type: 'string', default: '198.51.100.10' },
    port: { type: 'string' },
    interval: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
if (!values.out) {
  console.error('--out is required');
  process.exit(2);
}
const out = values.out;
const origin = Date.now() - performance.now();
const now = (): number => Math.round((origin + performance.now()) * 1000) / 1000;
const sends: [number, number][] = [];
const replies: [number, number, string][] = [];
const errors: [number, string][] = [];
const interval = Number(values.interval);
let seq = 0;

const parse = (text: string): void => {
  const [src, s] = text.trim().split(' ');
  if (src !== undefined && s !== undefined) replies.push([Number(s), now(), src]);
};

let send: () => void;
if (values.mode === 'udp') {
  const sock = createSocket(isIPv6(values.target) ? 'udp6' : 'udp4');
  sock.on('message', (m) => parse(m.toString()));
  sock.on('error', (e) => errors.push([now(), e.message]));
  sock.connect(Number(values.port ?? 8081), values.target, () => {
    console.log(`probing udp ${values.target} every ${interval} ms`);
    timer = setInterval(tick, interval);
  });
  send = () => {
    const s = seq++;
    sends.push([s, now()]);
    sock.send(String(s), (err) => { if (err) errors.push([now(), err.message]); });
  };
} else if (values.mode === 'stream') {
  const sock = connect(Number(values.port ?? 8082), values.target);
  sock.setNoDelay(true);
  let buf = '';
  let open = false;
  sock.on('connect', () => {
    open = true;
    console.log(`stream connected to ${values.target} from ${sock.localAddress}:${sock.localPort}`);
    timer = setInterval(tick, interval);
  });
  sock.on('data', (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  sock.on('error', (e) => errors.push([now(), `${e.message}`]));
  sock.on('close', () => { open = false; errors.push([now(), 'connection closed']); });
  send = () => {
    if (!open) return;
    const s = seq++;
    sends.push([s, now()]);
    sock.write(`${s}\n`);
  };
} else {
  console.error(`--mode must be udp or stream: ${values.mode}`);
  process.exit(2);
}
let timer: NodeJS.Timeout | undefined;
function tick(): void { send(); }

let done = false;
const finish = (): void => {
  if (done) return;
  done = true;
  if (timer) clearInterval(timer);
  // Give in-flight replies a moment, then write everything at once.
  setTimeout(() => {
    writeFileSync(out, JSON.stringify({ mode: values.mode, target: values.target, interval, sends, replies, errors }));
    process.exit(0);
  }, 300);
};
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
