// A LinuxNetlink of one family inside a namespace, for the kernel suites: the rtnetlink socket opens
// in the namespace the process runs in, so a test runs this under `ip netns exec` and calls it over
// stdin/stdout, one JSON line each way: {"cap":"rules"|"routes"|"addresses"|"members"|"self","method":...,"args":[...]}
// → {"ok":true,"result":...} | {"ok":false,"error":"..."}. Usage: netlink-cli.ts <4|6>.
import { createInterface } from 'node:readline';
import { LinuxIpsetMembers } from '../../src/kernel/linux-ipset-netlink.js';
import { LinuxNetlink } from '../../src/kernel/linux-netlink.js';

const family = process.argv[2] === '6' ? 6 : 4;
const nl = new LinuxNetlink(family === 4 ? (dev) => `${dev.slice(0, 11)}:seg` : () => undefined, undefined, family);
const members = new LinuxIpsetMembers();
const targets: Record<string, object> = { rules: nl.rules, routes: nl.routes, addresses: nl.addresses, self: nl, members };

let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    const { cap, method, args } = JSON.parse(line) as { cap: string; method: string; args: unknown[] };
    try {
      const target = targets[cap] as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const result = await target[method]!.apply(target, args);
      process.stdout.write(`${JSON.stringify({ ok: true, result: result ?? null })}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`);
    }
  });
}).on('close', () => { void chain.then(() => { nl.close(); members.close(); process.exit(0); }); });
