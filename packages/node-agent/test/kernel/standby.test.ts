// Standby gateways (issue 16 §1): n4 (and n3) stand by for the egress IP held by n2 — its SNAT sets, chains
// and guard rules are programmed, the address is not. A packet that reaches the standby (a
// director's stale ARP entry, or a VXLAN director that already tunnels to it) must not leave at all:
// not with the standby's node IP (the SNAT catches it) and not with the egress IP (the guard's standby rule:
// the IP is not local). The takeover then changes nothing but the address. Needs root, iproute2,
// iptables, ipset, nft, socat.
import assert from 'node:assert/strict';
import type { Mode } from '../../src/desired/types.js';
import { type ClusterModel, StateBuilder } from './cluster.js';
import { nsExec, runPrefix } from './netns.js';
import { type Applier, Topology } from './topology.js';

const EGRESS = '192.0.2.100';
const SERVER = '198.51.100.10';
const POLICY = 'shop/a';

const PODS = [
  { name: 'a1', node: 1, ip: '203.0.113.34', policy: POLICY }, // director n1
  { name: 'a3', node: 3, ip: '203.0.113.98', policy: POLICY }, // on a standby: redirected to the holder
];

function model(holder: 'n2' | 'n4'): ClusterModel {
  return {
    policies: [{ key: POLICY, egressIPs: [EGRESS], destinationCIDRs: ['198.51.100.0/25'], excludedCIDRs: [], assignments: new Map([[EGRESS, holder]]) }],
    pods: PODS.map((p) => ({ key: `shop/${p.name}`, uid: `uid-${p.name}`, nodeName: `n${p.node}`, podIP: p.ip, policy: p.policy })),
    standby: new Map([['n2', [EGRESS]], ['n3', [EGRESS]], ['n4', [EGRESS]]]),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let topo: Topology | undefined;
process.once('SIGINT', () => { void topo?.down().finally(() => process.exit(130)); });

for (const mode of ['direct', 'vxlan'] as Mode[]) {
  describe(`kernel standby gateway (${mode})`, function () {
    this.timeout(120_000);
    const prefix = runPrefix();
    const ns = (x: string) => `${prefix}-${x}`;
    const builder = new StateBuilder(mode, 4);
    const appliers: Applier[] = [];
    const sync = (node: number, m: ClusterModel, full = false) => appliers[node - 1]!.sync(builder.stateFor(node, m), full);
    /** Makes the director send to the standby n4 while n2 still holds the IP. */
    const toStandby = async () => {
      if (mode === 'direct') {
        const mac = (await nsExec(ns('n4'), 'cat /sys/class/net/eth0/address')).trim();
        await nsExec(ns('n1'), `ip neigh replace ${EGRESS} lladdr ${mac} nud permanent dev eth0`);
      } else {
        await sync(1, model('n4')); // the director's view is ahead of the gateways'
      }
    };
    const fresh = async () => {
      if (mode === 'direct') await nsExec(ns('n1'), `ip neigh del ${EGRESS} dev eth0`);
      else await sync(1, model('n4'));
    };
    /** Datagrams the server saw with this tag, and their sources. */
    const seenAt = (tag: string) => topo!.serverLog.filter((l) => l.data.startsWith(tag)).map((l) => l.src);

    before(async () => {
      topo = new Topology(prefix, 4, PODS);
      await topo.up();
      for (let n = 1; n <= 4; n++) appliers.push(await topo.applier(n));
      for (let n = 1; n <= 4; n++) await sync(n, model('n2'));
    });
    after(async () => {
      await topo?.down();
      topo = undefined;
    });

    it('the standby has the SNAT but not the address; pods leave with the egress IP through the holder', async () => {
      for (const n of ['n3', 'n4']) {
        const out = await nsExec(ns(n), `iptables-save -t nat; ip -o addr show dev eth0`);
        assert.match(out, new RegExp(`-j SNAT --to-source ${EGRESS}`), n);
        assert.ok(!out.includes(`inet ${EGRESS}/`), `the standby ${n} holds the address`);
      }
      assert.equal(await topo!.udp('a1', SERVER, 'sb-a1-before'), EGRESS);
      // a3 runs on the standby: marked and redirected to the holder, never SNATed on its own node
      assert.equal(await topo!.udp('a3', SERVER, 'sb-a3-before'), EGRESS);
    });

    it('a packet that reaches the standby leaves with no source at all (not the node IP, not the egress IP)', async () => {
      await toStandby();
      for (let i = 0; i < 5; i++) await topo!.udp('a1', SERVER, `sb-stale-${i}`);
      await sleep(200);
      assert.deepEqual(seenAt('sb-stale-'), []);
    });

    it('control: without the guard\'s standby rule the same packet leaves the standby with the egress IP it does not hold', async () => {
      await nsExec(ns('n4'), 'nft delete table ip segress_guard');
      await topo!.udp('a1', SERVER, 'sb-unguarded');
      await sleep(200);
      assert.deepEqual(seenAt('sb-unguarded'), [EGRESS], 'the topology does not reproduce the path the rule closes');
      const r = await sync(4, model('n2'), true);
      assert.deepEqual(r.healed, { guard: 1 });
      await topo!.udp('a1', SERVER, 'sb-reguarded');
      await sleep(200);
      assert.deepEqual(seenAt('sb-reguarded'), []);
    });

    it('the takeover adds the address and changes no set, chain, rule or route; traffic leaves through the new holder', async () => {
      await sync(2, model('n4')); // release
      const r = await sync(4, model('n4'));
      assert.deepEqual({ ...r.changed, addresses: 0 }, { ipsets: 0, chains: 0, rules: 0, routes: 0, addresses: 0, vxlan: 0 }, JSON.stringify(r.changed));
      assert.equal(r.changed.addresses, 1);
      assert.equal(await topo!.udp('a1', SERVER, 'sb-a1-taken'), EGRESS); // sent to n4 (stale neighbour / new route)
      await fresh();
      assert.equal(await topo!.udp('a1', SERVER, 'sb-a1-after'), EGRESS);
      await sync(3, model('n4'));
      assert.equal(await topo!.udp('a3', SERVER, 'sb-a3-after'), EGRESS); // redirected to the new holder
      assert.deepEqual(seenAt('sb-a').filter((src) => src !== EGRESS), []);
    });
  });
}
