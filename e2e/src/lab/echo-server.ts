// The external server (DESIGN §7), run inside the lab's external namespace with `ip netns exec`:
//   TCP  :8080  replies "<client source IP>\n" and closes;
//   UDP  :8081  replies "<client source IP> <payload>" to every datagram;
//   TCP  :8082  keeps the connection open and answers every line with "<client source IP> <line>".
// Every source seen is appended to --log as JSON lines {t, proto, src, sport, dst}: the record of
// what the external server saw, which the suites read and print when a scenario fails.
import { createSocket } from 'node:dgram';
import { createWriteStream } from 'node:fs';
import { createServer, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    addrs: { type: 'string', default: '198.51.100.10,198.51.100.20' },
    'tcp-port': { type: 'string', default: '8080' },
    'udp-port': { type: 'string', default: '8081' },
    'stream-port': { type: 'string', default: '8082' },
    log: { type: 'string' },
  },
});
if (!values.log) {
  console.error('--log is required');
  process.exit(2);
}
const log = createWriteStream(values.log, { flags: 'a' });
const record = (proto: string, src: string, sport: number, dst: string): void => {
  log.write(`${JSON.stringify({ t: Date.now(), proto, src: bare(src), sport, dst: bare(dst) })}\n`);
};
const bare = (a: string | undefined): string => (a ?? '').replace(/^::ffff:/, '');

// One socket per address, so UDP replies leave from the address the client sent to.
for (const addr of values.addrs.split(',')) {
  createServer((sock) => {
    const src = bare(sock.remoteAddress);
    record('tcp', src, sock.remotePort ?? 0, addr);
    sock.on('error', () => undefined);
    sock.end(`${src}\n`);
  }).listen(Number(values['tcp-port']), addr);

  createServer((sock) => {
    const src = bare(sock.remoteAddress);
    const sport = sock.remotePort ?? 0;
    record('stream', src, sport, addr);
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // The source can only change mid-connection if the NAT mapping changed: record it.
        record('stream', bare(sock.remoteAddress), sport, addr);
        sock.write(`${bare(sock.remoteAddress)} ${line}\n`);
      }
    });
  }).listen(Number(values['stream-port']), addr);

  const udp = createSocket(isIPv6(addr) ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    record('udp', rinfo.address, rinfo.port, addr);
    udp.send(`${rinfo.address} ${msg.toString()}`, rinfo.port, rinfo.address);
  });
  udp.on('error', (err) => console.error(`udp ${addr}: ${err.message}`));
  udp.bind(Number(values['udp-port']), addr);
}
console.log(`echo server listening on ${values.addrs} (tcp ${values['tcp-port']}, udp ${values['udp-port']}, ` +
  `stream ${values['stream-port']})`);
const stop = (): void => { log.end(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
