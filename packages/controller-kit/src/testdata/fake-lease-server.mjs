// A Lease endpoint with resourceVersion checks, in its own process (lease-thread.test.ts blocks the
// test's own thread). Prints its port, then serves GET/POST/PUT of Leases, one per name.
import http from 'node:http';

const leases = new Map();
let rv = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    const status = (code, reason) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
    const obj = body ? JSON.parse(body) : undefined;
    // .../leases/<name> (GET, PUT) or .../leases (POST, the name in the body)
    const key = req.method === 'POST' ? obj.metadata.name : req.url.split('?')[0].split('/').pop();
    const lease = leases.get(key);
    const store = (o) => { const l = { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } }; leases.set(key, l); return l; };
    if (req.method === 'GET') return lease ? send(200, lease) : status(404, 'NotFound');
    if (req.method === 'POST') return lease ? status(409, 'AlreadyExists') : send(201, store(obj));
    if (!lease) return status(404, 'NotFound');
    if (obj.metadata?.resourceVersion !== lease.metadata.resourceVersion) return status(409, 'Conflict');
    return send(200, store(obj));
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
