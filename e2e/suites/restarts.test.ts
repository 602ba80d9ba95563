// Control-plane faults that must not touch the data path (issue 4, scenarios e, f, g): agents killed
// with SIGKILL and restarted, the leading manager killed, the apiserver stopped for 30 s. A UDP probe
// from the pod runs throughout and must lose nothing; the egress IP stays where it is.
// One lab: node-1 runs the client pod (the director), node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import {
  EGRESS_IP, nodeIPs, printReport, sawAny, sleep, startClientBehindPolicy, useLab, waitFor,
  type LabPod, type ProbeReport,
} from '../src/scenario.js';

describe('restarts and outages of the control plane (e, f, g)', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3] });
  let client: LabPod;
  let holder: string;

  before(async function () {
    ({ client, holder } = await startClientBehindPolicy(h.lab));
  });

  /**
   * The probe lost nothing and saw only the egress IP, which stayed where it was. (An agent restart
   * does not move it: a host that refuses the probe's connection is up and forwarding, and the
   * manager waits --agent-restart-grace, 10 s, before it counts that as a failure.)
   */
  async function assertUntouched(since: number, what: string, r: ProbeReport): Promise<void> {
    const lab = h.lab;
    printReport(what, r);
    const held = (await lab.holders()).get(EGRESS_IP) ?? [];
    const was = holder;
    if (held.join() !== was) console.log(`      ${EGRESS_IP} moved: ${was} → ${held.join(',') || 'nowhere'}`);
    if (held.length === 1) holder = held[0]!; // later scenarios start from where it is now, whatever this one asserts
    assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.equal(r.lost, 0, `the probe lost ${r.lost} of ${r.sent} (longest gap ${r.maxGapMs} ms)`);
    assert.deepEqual(held, [was], 'the egress IP stayed where it was');
  }

  it('(e) agent kill -9 and restart, on the gateway and on the director: the probe loses nothing', async () => {
    const lab = h.lab;
    const since = Date.now();
    const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    await sleep(1_000);
    for (const i of [lab.nodeIndex(holder), 1]) {
      const t = Date.now();
      await lab.killAgent(i, 'SIGKILL');
      lab.startAgent(i);
      await lab.waitAgentsHealthy([i]);
      console.log(`      agent on ${lab.nodeName(i)} killed and healthy again after ${Date.now() - t} ms`);
      await sleep(3_000); // its first full resync has run
    }
    await assertUntouched(since, 'udp probe across both agent restarts', await probe.stopAndAnalyze(EGRESS_IP));
  });

  it('(f) the leading manager killed: the standby leads, the data path is untouched', async () => {
    const lab = h.lab;
    const leader = await waitFor('a lease holder', () => lab.leaseHolder(), 30_000);
    const m = Number(leader.replace(/^manager-/, ''));
    assert.ok(lab.managers.has(m), `lease held by ${leader}, not a lab manager`);
    const since = Date.now();
    const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    await sleep(1_000);
    const t = Date.now();
    await lab.killManager(m, 'SIGKILL');
    const next = await waitFor('the standby to take the Lease', async () => {
      const hld = await lab.leaseHolder();
      return hld && hld !== leader ? hld : undefined;
    }, 60_000, 200);
    console.log(`      ${leader} killed; ${next} leads after ${Date.now() - t} ms`);
    await sleep(3_000);
    await assertUntouched(since, 'udp probe across the takeover', await probe.stopAndAnalyze(EGRESS_IP));
    lab.startManager(m); // back as the standby
  });

  it('(g) kube-apiserver stopped for 30 s: the data path is untouched; agents and managers resync after', async () => {
    const lab = h.lab;
    const since = Date.now();
    const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    await sleep(1_000);
    await lab.cluster.stopApiServer();
    console.log('      apiserver stopped');
    for (let s = 0; s < 30; s += 10) {
      await sleep(10_000);
      console.log(`      … ${s + 10} s, egress IP on ${(await lab.holders()).get(EGRESS_IP)?.join(',') ?? 'NO NODE'}`);
    }
    const t = Date.now();
    await lab.cluster.startApiServer();
    console.log(`      apiserver back after ${Date.now() - t} ms`);
    await sleep(3_000);
    await assertUntouched(since, 'udp probe across the outage', await probe.stopAndAnalyze(EGRESS_IP));

    // Resync: a pod created after the outage is picked up by its node's agent, and the manager
    // (leading again) assigns a new policy that the director then programs. Informer restarts back
    // off to at most 8 s (less jitter), so both happen within seconds of the apiserver's return.
    const late = await lab.addPod({ namespace: 'shop', name: 'client-late', node: 1, labels: { app: 'client' } });
    const podMs = await lab.waitSourceIP(late, EGRESS_IP, { timeoutMs: 20_000 });
    const late2 = await lab.addPod({ namespace: 'shop', name: 'after-outage', node: 1, labels: { app: 'after' } });
    const t2 = Date.now();
    await lab.applyPolicy({ namespace: 'shop', name: 'after-outage', egressIPs: ['192.0.2.104'],
      podSelector: { matchLabels: { app: 'after' } } });
    const a = await lab.waitAssigned('shop', 'after-outage', 20_000);
    const assignedMs = Date.now() - t2;
    await lab.waitSourceIP(late2, '192.0.2.104', { timeoutMs: 20_000 });
    console.log(`      after the outage: new pod → ${EGRESS_IP} in ${podMs} ms; new policy 192.0.2.104 → ` +
      `${a.get('192.0.2.104')} assigned in ${assignedMs} ms, its pod leaves with it ${Date.now() - t2} ms after the create`);
  });
});
