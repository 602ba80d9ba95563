// The IPv4 GARP sender (issue 16 §1): one long-lived python3 sends `arping -U`'s gratuitous ARP from a
// packet socket; it moves a LAN neighbour's stale entry for the egress IP to this node, survives a
// refused line, and LinuxGarp falls back to arping when the sender cannot run. Needs root, iproute2,
// python3, arping.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { GarpSession } from '../../src/kernel/garp-session.js';
import { deleteNamespaces, nsExec, runPrefix } from './netns.js';

const EGRESS = '192.0.2.100';
const STALE = '02:00:00:00:00:99';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GARP sender (real namespaces)', function () {
  this.timeout(60_000);
  const prefix = runPrefix();
  const gw = `${prefix}-gw`;
  const peer = `${prefix}-peer`;
  const uplink = `${prefix}g`;
  const session = new GarpSession({ command: ['ip', 'netns', 'exec', gw, 'python3', '-u', '-c'] });
  let mac = '';

  before(async () => {
    await execa('ip', ['netns', 'add', gw]);
    await execa('ip', ['netns', 'add', peer]);
    await execa('ip', ['-n', gw, 'link', 'add', uplink, 'type', 'veth', 'peer', 'name', `${prefix}p`, 'netns', peer]);
    await nsExec(gw, `ip addr add 192.0.2.11/24 dev ${uplink}; ip addr add ${EGRESS}/32 dev ${uplink}; ip link set ${uplink} up; ip link set lo up`);
    await nsExec(peer, `ip addr add 192.0.2.1/24 dev ${prefix}p; ip link set ${prefix}p up`);
    mac = (await nsExec(gw, `cat /sys/class/net/${uplink}/address`)).trim();
  });
  after(async () => {
    session.close();
    await deleteNamespaces(prefix);
  });

  /** The peer believes the egress IP is elsewhere (where it was before the takeover). */
  const staleNeighbour = async () => {
    await nsExec(peer, `ip neigh replace ${EGRESS} lladdr ${STALE} dev ${prefix}p nud stale`);
    await sleep(1_100); // past the neighbour's locktime (1 s), as a real takeover is
  };
  const neighbour = () => nsExec(peer, `ip neigh show ${EGRESS} dev ${prefix}p`);
  const waitMoved = async () => {
    for (let i = 0; i < 30 && !(await neighbour()).includes(mac); i++) await sleep(50);
    return neighbour();
  };

  it('one GARP moves the neighbour\'s stale entry to this node', async () => {
    await staleNeighbour();
    assert.match(await neighbour(), new RegExp(STALE));
    await session.send(uplink, EGRESS);
    assert.match(await waitMoved(), new RegExp(`lladdr ${mac}`));
  });

  it('a refused line (no such device) fails alone; the next GARP goes out', async () => {
    await assert.rejects(session.send(`${prefix}x`, EGRESS), /GARP sender failed/);
    await staleNeighbour();
    await session.send(uplink, EGRESS);
    assert.match(await waitMoved(), new RegExp(`lladdr ${mac}`));
  });

  it('LinuxGarp falls back to arping when the sender cannot run', async () => {
    // arping runs in the caller's namespace: the whole LinuxGarp runs in gw, as the agent does on its node
    await staleNeighbour();
    const inGw = execa('ip', ['netns', 'exec', gw, process.execPath, '--import', 'tsx', '--input-type=module', '-e',
      `import { LinuxGarp } from ${JSON.stringify(new URL('../../src/kernel/linux-exec.ts', import.meta.url).pathname)};
       import { GarpSession } from ${JSON.stringify(new URL('../../src/kernel/garp-session.ts', import.meta.url).pathname)};
       const s = new GarpSession({ command: ['python3-not-here', '-c'] });
       new LinuxGarp([0], (e) => console.log('fallback: ' + e.message), s).announce(${JSON.stringify(uplink)}, ${JSON.stringify(EGRESS)});
       setTimeout(() => { s.close(); process.exit(0); }, 1500);`], { reject: false });
    assert.match(await waitMoved(), new RegExp(`lladdr ${mac}`));
    const out = await inGw;
    assert.match(String(out.stdout), /fallback: GARP sender/, String(out.stderr));
  });
});
