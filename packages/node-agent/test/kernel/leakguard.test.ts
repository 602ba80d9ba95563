// Leak guard (DESIGN §2 "Fail closed", during moves): an egress IP moves from gateway A (n2) to B
// (n3) while the director (n1) still sends to A — direct mode: its neighbour entry for the egress IP
// is pinned to A's MAC (as if it missed B's GARP); VXLAN mode: the director has not synced yet and
// still tunnels to A. A no longer SNATs, so without the guard its CNI masquerade would send the
// pod's packets out with A's node IP. A prober in the pod opens a new flow per packet; the server
// must see the egress IP or nothing. Needs root, iproute2, iptables, ipset, socat.
import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import type { Mode } from '../../src/desired/types.js';
import { type ClusterModel, StateBuilder } from './cluster.js';
import { nsExec, runPrefix } from './netns.js';
import { type Applier, Topology, nodeIP } from './topology.js';

const EGRESS = '192.0.2.100';
const SERVER = '198.51.100.10';
const EXCLUDED = '198.51.100.20';
const OUTSIDE = '198.51.100.200';
const POLICY = 'shop/a';

const PODS = [
  { name: 'a1', node: 1, ip: '203.0.113.34', policy: POLICY }, // director n1
  { name: 'a4', node: 2, ip: '203.0.113.66', policy: POLICY }, // on A: own gateway, then a director
  { name: 'a3', node: 3, ip: '203.0.113.98', policy: POLICY }, // on B: a director, then own gateway
];

function model(gateway: 'n2' | 'n3'): ClusterModel {
  return {
    policies: [{ key: POLICY, egressIPs: [EGRESS], destinationCIDRs: ['198.51.100.0/25'], excludedCIDRs: [`${EXCLUDED}/32`], assignments: new Map([[EGRESS, gateway]]) }],
    pods: PODS.map((p) => ({ key: `shop/${p.name}`, uid: `uid-${p.name}`, nodeName: `n${p.node}`, podIP: p.ip, policy: p.policy })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let topo: Topology | undefined;
const extra: ResultPromise[] = [];
const onSigint = () => { for (const p of extra) p.kill('SIGKILL'); void topo?.down().finally(() => process.exit(130)); };
process.once('SIGINT', onSigint);

for (const mode of ['direct', 'vxlan'] as Mode[]) {
  describe(`kernel leak guard (${mode})`, function () {
    this.timeout(120_000);
    const prefix = runPrefix();
    const ns = (x: string) => `${prefix}-${x}`;
    const builder = new StateBuilder(mode, 3);
    const appliers: Applier[] = [];
    const sync = (node: number, m: ClusterModel, full = false) => appliers[node - 1]!.sync(builder.stateFor(node, m), full);
    const guardDrops = async (node: number) => (await appliers[node - 1]!.counters()).leakGuard[POLICY]?.packets ?? 0;
    /** Makes the director keep sending to A (n2) whatever the assignments say. */
    const staleDirector = async () => {
      if (mode === 'direct') {
        const macA = (await nsExec(ns('n2'), 'cat /sys/class/net/eth0/address')).trim();
        await nsExec(ns('n1'), `ip neigh replace ${EGRESS} lladdr ${macA} nud permanent dev eth0`);
      } else {
        await sync(1, model('n2')); // the director's view: still on A
      }
    };
    const freshDirector = async () => {
      if (mode === 'direct') await nsExec(ns('n1'), `ip neigh del ${EGRESS} dev eth0`);
      else await sync(1, model('n3'));
    };

    before(async () => {
      topo = new Topology(prefix, 3, PODS);
      await topo.up();
      for (let n = 1; n <= 3; n++) appliers.push(await topo.applier(n));
      for (let n = 1; n <= 3; n++) await sync(n, model('n2'));
    });
    after(async () => {
      for (const p of extra.splice(0)) p.kill('SIGKILL');
      await topo?.down();
      topo = undefined;
    });

    it('before the move: the pods leave with the egress IP through A', async () => {
      assert.equal(await topo!.udp('a1', SERVER, 'a1-before'), EGRESS);
      assert.equal(await topo!.udp('a4', SERVER, 'a4-before'), EGRESS); // on its gateway: SNAT only
      assert.equal(await topo!.udp('a3', SERVER, 'a3-before'), EGRESS);
    });

    it('the IP moves A → B while the director still sends to A: the server sees the egress IP or nothing', async () => {
      const t = topo!;
      const tag = `move${mode}`;
      await staleDirector();
      const prober = execa('ip', ['netns', 'exec', ns('a1'), process.execPath, join(import.meta.dirname, 'prober.mjs'), SERVER, '8081', tag, '10'],
        { stdin: 'pipe', reject: false });
      extra.push(prober);
      await sleep(300); // through A while A is the gateway
      const dropsBefore = await guardDrops(2);
      // release before claim; the director is left stale (direct: its route is the same anyway)
      await sync(2, model('n3'));
      await sync(3, model('n3'));
      if (mode === 'direct') await sync(1, model('n3'));
      await sleep(1000); // stale: every packet lands on A
      const dropped = (await guardDrops(2)) - dropsBefore;
      await freshDirector();
      await sleep(700); // through B
      prober.stdin!.end();
      const { sent } = JSON.parse(String((await prober).stdout)) as { sent: number };
      await sleep(200);
      const seen = t.serverLog.filter((l) => l.data.startsWith(`${tag}-`));
      const wrong = seen.filter((l) => l.src !== EGRESS);
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${seen.length} packets left with another source (A ${nodeIP(2)}, director ${nodeIP(1)})`);
      assert.ok(dropped >= 30, `A's leak guard dropped only ${dropped} packets while the director was stale`);
      assert.ok(seen.length > 0 && seen.length < sent, `seen ${seen.length} of ${sent}: some before and after, none while stale`);
      const afterMove = seen.filter((l) => Number(l.data.slice(tag.length + 1)) > sent - 40);
      assert.ok(afterMove.length > 0, 'nothing arrived through B after the director caught up');
    });

    it('the guard leaves alone what is no leak: excluded and other destinations, redirected pods, replies to inbound connections', async () => {
      const t = topo!;
      assert.equal(await t.udp('a1', SERVER, 'a1-after'), EGRESS);
      assert.equal(await t.udp('a4', SERVER, 'a4-after'), EGRESS); // A is now a director for a4: marked, through B
      assert.equal(await t.udp('a3', SERVER, 'a3-after'), EGRESS); // B: own gateway now
      assert.equal(await t.udp('a4', EXCLUDED, 'a4-excl'), nodeIP(2)); // through A's guard chain: excluded returns
      assert.equal(await t.udp('a4', OUTSIDE, 'a4-outside'), nodeIP(2)); // outside destinationCIDRs
      assert.equal(await t.udp('a1', EXCLUDED, 'a1-excl'), nodeIP(1));
      // A "NodePort" on A forwarding to a1 on n1: a1's replies cross A's FORWARD unmarked (conntrack
      // REPLY direction) towards a client inside destinationCIDRs, and must pass
      const server = execa('ip', ['netns', 'exec', ns('a1'), 'socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo pod-a1'], { reject: false });
      extra.push(server);
      await nsExec(ns('n2'), `iptables -t nat -A PREROUTING -d ${nodeIP(2)} -p tcp --dport 30080 -j DNAT --to-destination 203.0.113.34:8080;
        iptables -t nat -A POSTROUTING -d 203.0.113.34 -p tcp --dport 8080 -j MASQUERADE`);
      let answer = '';
      for (let i = 0; i < 10 && !answer; i++) {
        await sleep(100);
        answer = (await nsExec(ns('ext'), `socat -T2 - TCP:${nodeIP(2)}:30080,bind=${SERVER},connect-timeout=2`, { input: 'hi\n', reject: false })).trim();
      }
      assert.equal(answer, 'pod-a1');
      server.kill('SIGKILL');
    });

    it('control: with the guard removed by hand, the same stale path leaks A\'s node IP; the next full sync restores it', async () => {
      const t = topo!;
      const state = builder.stateFor(2, model('n3'));
      const g = state.leakGuard.find((x) => x.policyKey === POLICY)!;
      const c = state.guardClasses.find((x) => x.guards.includes(g.id))!; // the pods' set (a guard class)
      const target = c.guards.length === 1 ? `SEGRESS-L-${g.id.toUpperCase()}` : `SEGRESS-Q-${c.id.toUpperCase()}`;
      await nsExec(ns('n2'), `iptables -D SEGRESS-FWD -m set --match-set segress-q-${c.id} src -j ${target}`);
      await staleDirector();
      assert.equal(await t.udp('a1', SERVER, 'a1-unguarded'), nodeIP(2), 'the test topology does not reproduce the leak');
      const r = await sync(2, model('n3'), true);
      assert.deepEqual(r.healed, { iptables: 1 });
      assert.equal(await t.udp('a1', SERVER, 'a1-guarded'), null);
      await freshDirector();
      assert.equal(await t.udp('a1', SERVER, 'a1-fresh'), EGRESS);
    });
  });
}
