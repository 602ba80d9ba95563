// The kernel lease (issue 14 §1, §4) in real network namespaces: a gateway answers ARP for an egress
// IP only while its lease runs; the lease runs out by itself (no agent needed); a renewal never
// revives a lease that ran out; forwarding is not gated (a stalled agent's kernel keeps carrying).
// Needs root, iproute2, nftables, iptables, iputils-arping, iputils-ping.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { LinuxLeaseTable, type NftRunner } from '../../src/kernel/linux-lease.js';
import { leaseNames } from '../../src/render/lease.js';
import { deleteNamespaces, nsExec, runPrefix } from './netns.js';

const EGRESS = '192.0.2.100';
const OTHER = '192.0.2.101';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kernel lease (nftables, real namespaces)', function () {
  this.timeout(60_000);
  const prefix = runPrefix();
  const gw = `${prefix}-gw`;
  const peer = `${prefix}-peer`;
  const inNs = (ns: string): NftRunner => async (args, input) => {
    const r = await execa('ip', ['netns', 'exec', ns, 'nft', ...args], { input, reject: false });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const lease = new LinuxLeaseTable(leaseNames('sektest'), inNs(gw));
  /** How many ARP replies the peer gets for ip (arping exits 0 on any reply). */
  const arpReplies = async (ip: string): Promise<number> => {
    const out = await nsExec(peer, `arping -c 2 -w 1 -I ${prefix}p ${ip} || true`);
    return Number(/Received (\d+) response/.exec(out)?.[1] ?? -1);
  };

  before(async () => {
    await execa('ip', ['netns', 'add', gw]);
    await execa('ip', ['netns', 'add', peer]);
    await execa('ip', ['-n', gw, 'link', 'add', `${prefix}g`, 'type', 'veth', 'peer', 'name', `${prefix}p`, 'netns', peer]);
    await nsExec(gw, `ip addr add 192.0.2.11/24 dev ${prefix}g; ip addr add ${EGRESS}/32 dev ${prefix}g; ip addr add ${OTHER}/32 dev ${prefix}g; ip link set ${prefix}g up; ip link set lo up`);
    await nsExec(peer, `ip addr add 192.0.2.1/24 dev ${prefix}p; ip link set ${prefix}p up`);
    await lease.ensure([EGRESS, OTHER]);
  });
  after(() => deleteNamespaces(prefix));

  it('an owned IP without a lease gets no ARP reply; a claimed one does', async () => {
    assert.equal(await arpReplies(EGRESS), 0);
    await lease.claim([EGRESS], 10_000);
    assert.ok((await arpReplies(EGRESS)) >= 1);
    assert.equal(await arpReplies(OTHER), 0, 'the other owned IP is still silent');
    assert.ok((await arpReplies('192.0.2.11')) >= 1, 'the node address is not ours to guard');
    assert.deepEqual([...((await lease.read()).leased)], [EGRESS]);
  });

  it('setup again (a resync) keeps running leases and heals a deleted guard rule', async () => {
    await nsExec(gw, 'nft flush chain arp sektest_lease output');
    assert.ok((await arpReplies(OTHER)) >= 1, 'damaged: the guard is gone');
    await lease.ensure([EGRESS, OTHER]);
    assert.equal(await arpReplies(OTHER), 0, 'healed');
    assert.ok((await arpReplies(EGRESS)) >= 1, 'the running lease survived the resync');
  });

  it('a lease runs out by itself, and a renewal does not revive it', async () => {
    await lease.claim([EGRESS], 400);
    assert.deepEqual(await lease.renew([EGRESS], 400), [], 'a running lease renews');
    await sleep(700);
    assert.equal(await arpReplies(EGRESS), 0, 'silent once the lease ran out, with no agent involved');
    assert.deepEqual(await lease.renew([EGRESS, OTHER], 10_000), [EGRESS, OTHER]);
    assert.equal(((await lease.read()).leased).size, 0);
  });

  it('an unleased IP is never the sender of an ARP request either; a leased one resolves and sends', async () => {
    await lease.end([EGRESS, OTHER]);
    await nsExec(peer, 'ip neigh flush all');
    await nsExec(gw, 'ip neigh flush all');
    // the gateway must resolve the peer: its request would say "tell 192.0.2.100" without the guard
    const seen = execa('ip', ['netns', 'exec', peer, 'timeout', '3', 'tcpdump', '-l', '-n', '-i', `${prefix}p`, 'arp'], { reject: false });
    await sleep(500);
    await nsExec(gw, `ping -c 1 -W 1 -I ${EGRESS} 192.0.2.1 >/dev/null || true`);
    const out = String((await seen).stdout);
    assert.doesNotMatch(out, new RegExp(`tell ${EGRESS.replace(/\./g, '\\.')}`), out);
    await lease.claim([EGRESS], 10_000);
    await nsExec(gw, 'ip neigh flush all');
    const ping = (await nsExec(gw, `ping -c 2 -W 1 -I ${EGRESS} 192.0.2.1 >/dev/null && echo ok || echo lost`)).trim();
    assert.equal(ping, 'ok');
  });

  it('removal leaves no table; twice is not an error', async () => {
    await lease.remove();
    await lease.remove();
    assert.equal((await nsExec(gw, 'nft list tables')).trim(), '');
  });
});
