// Control-plane faults that must not touch the data path (issue 4, scenarios e, f, g): agents killed
// with SIGKILL and restarted, the leading manager killed, the apiserver stopped for 30 s. A UDP probe
// from the pod runs throughout and must lose nothing; the egress IP stays where it is.
// Run in the IPv4-only lab and in the dual-stack one (issue 11): there the policy holds an IPv4 and
// an IPv6 egress IP and a probe per family runs; both IPs stay where they are.
// One lab per mode: node-1 runs the client pod (the director), node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import {
  FAMILY_MODES, FamilyProbes, egressIPsOf, holdersOf, nodeAddressesSeen, probeFaults, startClientBehindPolicyIn, waitSources,
  type FamilyReport,
} from '../src/families.js';
import { sleep, useLab, waitFor, type LabPod } from '../src/scenario.js';

for (const mode of FAMILY_MODES) {
  describe(`restarts and outages of the control plane (e, f, g) — ${mode.name}`, function () {
    const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], ipFamilies: mode.ipFamilies });
    const ips = egressIPsOf(mode, 0);
    let client: LabPod;
    /** ip → the node holding it, as last seen */
    let holder: Map<string, string>;

    before(async function () {
      ({ client, assigned: holder } = await startClientBehindPolicyIn(h.lab, mode));
    });

    /**
     * The probes lost nothing and saw only the egress IPs, which stayed where they were. (An agent
     * restart does not move them: a host that refuses the probe's connection is up and forwarding,
     * and the manager waits --agent-restart-grace, 10 s, before it counts that as a failure.)
     */
    async function assertUntouched(since: number, reports: readonly FamilyReport[]): Promise<void> {
      const lab = h.lab;
      const held = await lab.holders();
      const was = new Map(holder);
      for (const ip of ips) {
        const now = held.get(ip) ?? [];
        if (now.join() !== was.get(ip)) console.log(`      ${ip} moved: ${was.get(ip)} → ${now.join(',') || 'nowhere'}`);
        if (now.length === 1) holder.set(ip, now[0]!); // later scenarios start from where it is now, whatever this one asserts
      }
      assert.deepEqual(probeFaults(reports), []);
      assert.deepEqual(nodeAddressesSeen(lab, mode, since), [], 'the external server saw a node address');
      for (const { family, report: r } of reports) {
        assert.equal(r.lost, 0, `the ${family.name} probe lost ${r.lost} of ${r.sent} (longest gap ${r.maxGapMs} ms)`);
      }
      for (const ip of ips) assert.deepEqual(held.get(ip) ?? [], [was.get(ip)], `${ip} stayed where it was`);
    }

    it('(e) agent kill -9 and restart, on the gateway and on the director: the probe loses nothing', async () => {
      const lab = h.lab;
      const since = Date.now();
      const probes = await FamilyProbes.start(lab, client, mode, { mode: 'udp', intervalMs: 5, warmMs: 1_000 });
      for (const i of [...holdersOf(holder, ips).map((n) => lab.nodeIndex(n)), 1]) {
        const t = Date.now();
        await lab.killAgent(i, 'SIGKILL');
        lab.startAgent(i);
        await lab.waitAgentsHealthy([i]);
        console.log(`      agent on ${lab.nodeName(i)} killed and healthy again after ${Date.now() - t} ms`);
        await sleep(3_000); // its first full resync has run
      }
      await assertUntouched(since, await probes.stop('udp probe across the agent restarts', (f) => f.egressIP(0)));
    });

    it('(f) the leading manager killed: the standby leads, the data path is untouched', async () => {
      const lab = h.lab;
      const leader = await waitFor('a lease holder', () => lab.leaseHolder(), 30_000);
      const m = Number(leader.replace(/^manager-/, ''));
      assert.ok(lab.managers.has(m), `lease held by ${leader}, not a lab manager`);
      const since = Date.now();
      const probes = await FamilyProbes.start(lab, client, mode, { mode: 'udp', intervalMs: 5, warmMs: 1_000 });
      const t = Date.now();
      await lab.killManager(m, 'SIGKILL');
      const next = await waitFor('the standby to take the Lease', async () => {
        const hld = await lab.leaseHolder();
        return hld && hld !== leader ? hld : undefined;
      }, 60_000, 200);
      console.log(`      ${leader} killed; ${next} leads after ${Date.now() - t} ms`);
      await sleep(3_000);
      await assertUntouched(since, await probes.stop('udp probe across the takeover', (f) => f.egressIP(0)));
      lab.startManager(m); // back as the standby
    });

    it('(g) kube-apiserver stopped for 30 s: the data path is untouched; agents and managers resync after', async () => {
      const lab = h.lab;
      const since = Date.now();
      const probes = await FamilyProbes.start(lab, client, mode, { mode: 'udp', intervalMs: 5, warmMs: 1_000 });
      await lab.cluster.stopApiServer();
      console.log('      apiserver stopped');
      for (let s = 0; s < 30; s += 10) {
        await sleep(10_000);
        const held = await lab.holders();
        console.log(`      … ${s + 10} s, ${ips.map((ip) => `${ip} on ${held.get(ip)?.join(',') ?? 'NO NODE'}`).join(', ')}`);
      }
      const t = Date.now();
      await lab.cluster.startApiServer();
      console.log(`      apiserver back after ${Date.now() - t} ms`);
      await sleep(3_000);
      await assertUntouched(since, await probes.stop('udp probe across the outage', (f) => f.egressIP(0)));

      // Resync: a pod created after the outage is picked up by its node's agent, and the manager
      // (leading again) assigns a new policy that the director then programs. Informer restarts back
      // off to at most 8 s (less jitter), so both happen within seconds of the apiserver's return.
      const late = await lab.addPod({ namespace: 'shop', name: 'client-late', node: 1, labels: { app: 'client' } });
      const t1 = Date.now();
      await waitSources(lab, late, mode, (f) => f.egressIP(0), { timeoutMs: 20_000 });
      const podMs = Date.now() - t1;
      const late2 = await lab.addPod({ namespace: 'shop', name: 'after-outage', node: 1, labels: { app: 'after' } });
      const newIPs = egressIPsOf(mode, 4);
      const t2 = Date.now();
      await lab.applyPolicy({ namespace: 'shop', name: 'after-outage', egressIPs: newIPs, podSelector: { matchLabels: { app: 'after' } } });
      const a = await lab.waitAssigned('shop', 'after-outage', 20_000);
      const assignedMs = Date.now() - t2;
      await waitSources(lab, late2, mode, (f) => f.egressIP(4), { timeoutMs: 20_000 });
      console.log(`      after the outage: new pod → ${ips.join(', ')} in ${podMs} ms; new policy ${newIPs.map((ip) => `${ip} → ${a.get(ip)}`).join(', ')} ` +
        `assigned in ${assignedMs} ms, its pod leaves with them ${Date.now() - t2} ms after the create`);
    });
  });
}
