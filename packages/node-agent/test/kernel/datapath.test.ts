// The data path in real namespaces (issue 3, "Done when"): direct and VXLAN modes, fail-closed,
// idempotence, healing, churn under a prober, cleanup. Needs root, iproute2, iptables, ipset, socat.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { join } from 'node:path';
import type { Mode } from '../../src/desired/types.js';
import { type ClusterModel, StateBuilder } from './cluster.js';
import { dumpNamespace, nsExec, runPrefix } from './netns.js';
import { type Applier, Topology, nodeIP } from './topology.js';

const EGRESS_A = '192.0.2.100';
const EGRESS_B = '192.0.2.101';
const SERVER = '198.51.100.10';
const EXCLUDED = '198.51.100.20';
const OUTSIDE = '198.51.100.200';

const PODS = [
  { name: 'a1', node: 1, ip: '203.0.113.34', policy: 'shop/a' }, // selected, director n1 → gateway n2
  { name: 'a2', node: 1, ip: '203.0.113.35' }, // not selected
  { name: 'b1', node: 1, ip: '203.0.113.36', policy: 'shop/b' }, // selected by a policy without gateway
  { name: 'a4', node: 2, ip: '203.0.113.66', policy: 'shop/a' }, // selected, on its gateway node
  { name: 'a3', node: 3, ip: '203.0.113.98', policy: 'shop/a' }, // selected, director n3
];

function baseModel(): ClusterModel {
  return {
    policies: [
      { key: 'shop/a', egressIPs: [EGRESS_A], destinationCIDRs: ['198.51.100.0/25'], excludedCIDRs: [`${EXCLUDED}/32`], assignments: new Map([[EGRESS_A, 'n2']]) },
      { key: 'shop/b', egressIPs: [EGRESS_B], destinationCIDRs: [`${SERVER}/32`], excludedCIDRs: [], assignments: new Map() },
    ],
    pods: PODS.map((p) => ({ key: `shop/${p.name}`, uid: `uid-${p.name}`, nodeName: `n${p.node}`, podIP: p.ip, ...(p.policy ? { policy: p.policy } : {}) })),
  };
}

let topo: Topology | undefined;
const onSigint = () => { void topo?.down().finally(() => process.exit(130)); };
process.once('SIGINT', onSigint);

for (const mode of ['direct', 'vxlan'] as Mode[]) {
  describe(`kernel data path (${mode})`, function () {
    this.timeout(120_000);
    const prefix = runPrefix();
    const builder = new StateBuilder(mode, 3);
    const appliers: Applier[] = [];
    const fresh: string[] = [];
    const syncAll = (model: ClusterModel, full = false) =>
      Promise.all(appliers.map((a, i) => a.sync(builder.stateFor(i + 1, model), full)));
    const dumps = () => Promise.all([1, 2, 3].map((n) => dumpNamespace(`${prefix}-n${n}`)));

    before(async () => {
      topo = new Topology(prefix, 3, PODS);
      await topo.up();
      for (let n = 1; n <= 3; n++) fresh.push(await dumpNamespace(`${prefix}-n${n}`));
      for (let n = 1; n <= 3; n++) appliers.push(await topo.applier(n));
      await syncAll(baseModel());
    });
    after(async () => {
      await topo?.down();
      topo = undefined;
    });

    it('a selected pod leaves with its egress IP, from any node, over UDP and TCP', async () => {
      const t = topo!;
      assert.equal(await t.udp('a1', SERVER, 'a1-udp'), EGRESS_A);
      assert.equal(await t.tcp('a1', SERVER, 'a1-tcp'), EGRESS_A);
      assert.equal(await t.udp('a3', SERVER, 'a3-udp'), EGRESS_A);
      assert.equal(await t.udp('a4', SERVER, 'a4-udp'), EGRESS_A); // on its gateway: SNAT only
    });

    it('everything else leaves with the node IP', async () => {
      const t = topo!;
      assert.equal(await t.udp('a2', SERVER, 'a2-udp'), nodeIP(1)); // not selected
      assert.equal(await t.udp('a1', EXCLUDED, 'a1-excl'), nodeIP(1)); // excludedCIDRs
      assert.equal(await t.udp('a1', OUTSIDE, 'a1-outside'), nodeIP(1)); // outside destinationCIDRs
    });

    it('fails closed: without a gateway no packet reaches the server, and drops are counted', async () => {
      const t = topo!;
      assert.equal(await t.udp('b1', SERVER, 'b1-dark'), null);
      assert.equal(await t.tcp('b1', SERVER, 'b1-dark-tcp'), null);
      assert.ok(!t.serverLog.some((l) => l.data.startsWith('b1-dark')), 'a packet of b1 reached the server');
      assert.equal(await t.udp('b1', OUTSIDE, 'b1-outside'), nodeIP(1)); // its other traffic is untouched
      const c = await appliers[0]!.counters();
      const dropped = Object.values(c.failClosed).reduce((n, v) => n + v.packets, 0);
      assert.ok(dropped >= 2, `failClosed=${JSON.stringify(c.failClosed)}`);
      const g = await appliers[1]!.counters();
      assert.ok((g.perEgressIP[EGRESS_A]?.packets ?? 0) > 0);
    });

    it('is idempotent: applying the same state again leaves an identical kernel', async () => {
      const before = await dumps();
      const r1 = await syncAll(baseModel());
      const r2 = await syncAll(baseModel(), true);
      for (const r of [...r1, ...r2]) assert.deepEqual(Object.values(r.changed).filter((x) => x !== 0), []);
      assert.deepEqual(await dumps(), before);
    });

    it('heals hand damage on the next full resync and counts it', async () => {
      const clean = await dumps();
      const t = topo!;
      const n1 = `${prefix}-n1`, n2 = `${prefix}-n2`;
      const n1state = builder.stateFor(1, baseModel());
      const entry = n1state.director.find((d) => d.egressIP === EGRESS_A)!;
      const podSet = n1state.directorClasses.find((c) => c.podIPs.includes('203.0.113.34'))!; // the pod's set (a director class)
      await nsExec(n1, `iptables -t mangle -F SEGRESS-MARK; ip rule del priority ${entry.priority}; ip route flush table ${entry.table};
        ipset del segress-c-${podSet.id} 203.0.113.34; iptables -t nat -D POSTROUTING -j SEGRESS-SKIP`);
      await nsExec(n2, `ip addr del ${EGRESS_A}/32 dev eth0; iptables -t nat -F SEGRESS-SNAT; iptables -t nat -I POSTROUTING 1 -j RETURN -m comment --comment foreign`);
      if (mode === 'vxlan') await nsExec(n1, `bridge fdb del 0e:5e:c0:00:02:0c dev segress.vx dst ${nodeIP(2)} via eth0 self`);
      assert.notEqual(await t.udp('a1', SERVER, 'a1-damaged'), EGRESS_A);
      const [h1, h2] = await syncAll(baseModel(), true);
      assert.deepEqual(h1!.healed, { ipset: 1, iptables: 2, rule: 1, route: 1, ...(mode === 'vxlan' ? { vxlan: 1 } : {}) });
      assert.deepEqual(h2!.healed, { iptables: 2, address: 1 });
      await nsExec(n2, 'iptables -t nat -D POSTROUTING -j RETURN -m comment --comment foreign');
      assert.deepEqual(await dumps(), clean);
      assert.equal(await t.udp('a1', SERVER, 'a1-healed'), EGRESS_A);
    });

    it('a restarted applier removes leftovers in its owned ranges and keeps what is wanted', async () => {
      const clean = await dumps();
      const n1 = `${prefix}-n1`;
      await nsExec(n1, `ip rule add priority 5999 fwmark 0x10000/0xff0000 lookup 5999; ip route add unreachable default table 5998;
        ipset create segress-d-deadbeef hash:ip; ipset create segress-g-c0000264-t hash:ip;
        iptables -t mangle -N SEGRESS-M-DEADBEEF; iptables -t mangle -A SEGRESS-M-DEADBEEF -j RETURN; iptables -t mangle -A SEGRESS-MARK -j SEGRESS-M-DEADBEEF`);
      appliers[0]!.kill();
      appliers[0] = await topo!.applier(1); // a new process: startup reconcile, nothing cached
      const r = await appliers[0].sync(builder.stateFor(1, baseModel()));
      assert.equal(r.full, true);
      assert.deepEqual(await dumps(), clean);
      assert.equal(await topo!.udp('a1', SERVER, 'a1-restarted'), EGRESS_A);
    });

    it('100 replacements under a prober: every packet the server sees has the egress IP', async () => {
      const t = topo!;
      const prober = execa('ip', ['netns', 'exec', `${prefix}-a1`, process.execPath, join(import.meta.dirname, 'prober.mjs'), SERVER, '8081', `churn${mode}`, '4'],
        { stdin: 'pipe', reject: false });
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 100; i++) {
        const m = baseModel();
        const a = m.policies[0]!;
        if (i % 2) a.excludedCIDRs = [...a.excludedCIDRs, '198.51.100.99/32'];
        if (i % 3 === 0) a.destinationCIDRs = ['198.51.100.0/25', '198.51.100.128/25'];
        for (let k = 0; k < i % 6; k++) m.pods.push({ key: `shop/x${k}`, uid: `uid-x${k}`, nodeName: k % 2 ? 'n1' : 'n3', podIP: `203.0.113.${k % 2 ? 40 + k : 100 + k}`, policy: 'shop/a' });
        // every 5th state adds 40 pods at once: more than the in-place limit, so the set is swapped
        if (i % 5 === 0) for (let k = 0; k < 40; k++) m.pods.push({ key: `shop/y${k}`, uid: `uid-y${k}`, nodeName: 'n1', podIP: `203.0.113.${130 + k}`, policy: 'shop/a' });
        for (let k = 0; k < i % 4; k++) {
          const ip = `192.0.2.${110 + ((i + k) % 7)}`;
          m.policies.push({ key: `shop/d${ip}`, egressIPs: [ip], destinationCIDRs: [], excludedCIDRs: [], assignments: new Map([[ip, 'n3']]) });
          m.pods.push({ key: `shop/d${k}`, uid: `uid-d${k}`, nodeName: 'n1', podIP: `203.0.113.${50 + k}`, policy: `shop/d${ip}` });
        }
        await syncAll(m);
      }
      await new Promise((r) => setTimeout(r, 200));
      prober.stdin!.end();
      const { sent } = JSON.parse(String((await prober).stdout)) as { sent: number };
      await new Promise((r) => setTimeout(r, 300));
      const seen = t.serverLog.filter((l) => l.data.startsWith(`churn${mode}-`));
      const wrong = seen.filter((l) => l.src !== EGRESS_A);
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${seen.length} packets left with another source`);
      assert.ok(seen.length >= sent * 0.8, `only ${seen.length} of ${sent} probes arrived`);
      await syncAll(baseModel(), true);
    });

    it('`node-agent --cleanup` leaves each node as a fresh one', async () => {
      for (const a of appliers) a.kill(); // the daemon is gone; what it left must go
      const main = join(import.meta.dirname, '../../src/main.ts');
      await Promise.all([1, 2, 3].map((n) => execa('ip', ['netns', 'exec', `${prefix}-n${n}`, process.execPath, '--import', 'tsx', main, '--cleanup'],
        { cwd: join(import.meta.dirname, '../../../..') })));
      assert.deepEqual(await dumps(), fresh);
    });
  });
}
