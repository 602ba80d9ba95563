// Runs inside a pod namespace: sends one UDP datagram "<tag>-<seq>" every <interval> ms, each from
// a fresh socket (a new flow, so NAT is decided anew), until stdin closes; prints the count sent.
import dgram from 'node:dgram';

const [host, port, tag, interval] = process.argv.slice(2);
let seq = 0;
const timer = setInterval(() => {
  const s = dgram.createSocket('udp4');
  s.on('error', () => s.close());
  s.send(`${tag}-${seq++}`, Number(port), host, () => setTimeout(() => s.close(), 20));
}, Number(interval));
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ sent: seq })}\n`);
  setTimeout(() => process.exit(0), 50);
});
