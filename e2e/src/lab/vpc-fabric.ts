// The lab's VPC (cloud mode, issue 13), as one process in the root namespace:
//   - the managers' EC2 endpoint: an HTTP proxy on a unix socket (relayed into the manager namespaces)
//     in front of moto, which records every call (action, start, end, HTTP status) as a JSON line, so
//     the benchmark can tell the EC2 calls' share of a failover;
//   - the fabric: every --interval it reads moto's DescribeNetworkInterfaces and, on a change, renders
//     the router's routes and the LAN's source/destination check (vpc-render.ts) and applies them.
// A missing, late or wrong EC2 call therefore shows up as lost or misrouted traffic.
import { appendFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { inNetns, ipBatch } from './exec.js';
import { computeDeliveries, renderRouterBlackholes, renderRouterRoutes, renderSourceDestCheck, type EniAddresses } from './vpc-render.js';

const { values: v } = parseArgs({ options: {
  endpoint: { type: 'string' }, socket: { type: 'string' }, 'call-log': { type: 'string' },
  'lan-ns': { type: 'string' }, 'router-ns': { type: 'string' }, 'router-dev': { type: 'string' }, table: { type: 'string' },
  ports: { type: 'string' }, managed: { type: 'string' }, interval: { type: 'string', default: '50' },
} });
const need = (k: keyof typeof v): string => {
  const x = v[k];
  if (typeof x !== 'string' || !x) throw new Error(`--${k} is required`);
  return x;
};
const motoURL = new URL(need('endpoint'));
/** primary address → the node's bridge port */
const ports = new Map(need('ports').split(',').map((p) => p.split('=') as [string, string]));
const say = (line: string): void => { process.stdout.write(`${new Date().toISOString()} ${line}\n`); };

function proxy(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const action = new URLSearchParams(body.toString()).get('Action') ?? '?';
    const start = Date.now();
    const out = request({ host: motoURL.hostname, port: motoURL.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('end', () => appendFileSync(need('call-log'), `${JSON.stringify({ action, start, end: Date.now(), status: up.statusCode })}\n`));
    });
    out.on('error', (err) => { res.writeHead(502); res.end(String(err)); });
    out.end(body);
  });
}

async function readEnis(ec2: EC2Client): Promise<EniAddresses[]> {
  const list = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [];
  return list.map((e) => ({
    primary: e.PrivateIpAddress ?? '',
    secondary: (e.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress ?? '').filter(Boolean),
  })).filter((e) => ports.has(e.primary));
}

async function fabric(): Promise<void> {
  const ec2 = new EC2Client({ region: process.env['AWS_REGION'] ?? 'us-east-1', endpoint: motoURL.origin, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const routerNs = need('router-ns');
  const dev = need('router-dev');
  await inNetns(routerNs, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_accept=0', `net.ipv4.conf.${dev}.arp_accept=0`]);
  await ipBatch(routerNs, renderRouterBlackholes(need('managed').split(',')));
  let routes = new Map<string, string>();
  let lanKey = '';
  for (;;) {
    try {
      const enis = await readEnis(ec2);
      const key = JSON.stringify(enis.map((e) => [e.primary, [...e.secondary].sort()]).sort());
      if (key !== lanKey) {
        await inNetns(need('lan-ns'), 'nft', ['-f', '-'], renderSourceDestCheck(need('table'), new Map(enis.map((e) => [ports.get(e.primary)!, e]))));
        const next = computeDeliveries(enis);
        const lines = renderRouterRoutes(routes, next, dev);
        if (lines.length) await ipBatch(routerNs, lines);
        routes = next;
        lanKey = key;
        say(`applied ${key}${lines.length ? `; router: ${lines.join('; ')}` : ''}`);
      }
    } catch (err) {
      say(`fabric: ${(err as Error).message.split('\n')[0]}`);
    }
    await new Promise((r) => setTimeout(r, Number(v.interval)));
  }
}

const socket = need('socket');
rmSync(socket, { force: true });
createServer(proxy).listen(socket, () => say(`EC2 endpoint on ${socket} → ${motoURL.origin}`));
void fabric();
