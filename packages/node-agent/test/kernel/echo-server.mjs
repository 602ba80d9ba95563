// Runs inside the external namespace (`node echo-server.mjs <addr>...`): TCP 8080 and UDP 8081 answer each client with its source IP,
// and every datagram/connection seen is printed as one JSON line {proto, src, data} on stdout.
import dgram from 'node:dgram';
import net from 'node:net';

const log = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
// one UDP socket per address, so each reply leaves from the address the client sent to
for (const addr of process.argv.slice(2).length ? process.argv.slice(2) : ['0.0.0.0']) {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    log({ proto: 'udp', src: rinfo.address, data: msg.toString() });
    udp.send(rinfo.address, rinfo.port, rinfo.address);
  });
  udp.bind(8081, addr);
}
const tcp = net.createServer((sock) => {
  sock.once('data', (d) => {
    log({ proto: 'tcp', src: sock.remoteAddress, data: d.toString().trim() });
    sock.end(`${sock.remoteAddress}\n`);
  });
  sock.on('error', () => {});
});
tcp.listen(8080, '0.0.0.0', () => log({ ready: true }));
