// Failover correctness (issue 14), run the way a failing datacenter behaves. A client pod on node-1
// keeps a UDP probe (every 5 ms) and ONE TCP connection (a line every 20 ms) going, the router asks
// who-has the egress IP every 100 ms, and every ARP frame on the LAN is captured. Then:
//  - gateways are lost (link cut, agent SIGKILLed) and restored (link up, agent restarted) over and
//    over, so the IP goes A → B → A → B …: a returning node must announce nothing for the IP it lost,
//    cost no gap when it returns, and the one TCP connection must work after every move;
//  - the holder is partitioned from the managers and the API server while still on the LAN, with a
//    pod on it polling its agent's /healthz every 50 ms: it must go silent by itself before the IP is
//    announced elsewhere — never two MACs answering for one IP.
import assert from 'node:assert/strict';
import {
  EGRESS_IP, addr, claimsOf, loseNode, maxGapIn, nodeIPs, printReport, sawAny, sleep, startClientBehindPolicy, twoMacWindows, useLab, waitFor,
  waitMoved, type LabPod,
} from '../src/scenario.js';

const CYCLES = Number(process.env['FAILOVER_CYCLES'] ?? 10);
const PARTITIONS = Number(process.env['PARTITION_CYCLES'] ?? 3);

describe('failover correctness (issue 14)', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3] });
  let client: LabPod;

  before(async function () {
    ({ client } = await startClientBehindPolicy(h.lab));
  });

  it(`${CYCLES} losses and returns of gateways: no gap when a node returns, the TCP connection survives A → B → A …, the node that lost the IP never announces it`, async () => {
    const lab = h.lab;
    const macs = await lab.nodeMacs();
    const since = Date.now();
    const arp = await lab.captureArp();
    const stopAsking = lab.routerAsks(EGRESS_IP, 100);
    const udp = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    const tcp = lab.startProbe(client, { mode: 'stream', intervalMs: 20 });
    await sleep(1_500);
    const cycles: { holder: string; next: string; lostAt: number; movedAt: number; restoredAt: number; settledAt: number }[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const holder = (await lab.waitAssigned('shop', 'db-access')).get(EGRESS_IP)!;
      const i = lab.nodeIndex(holder);
      const lostAt = Date.now();
      await loseNode(lab, i);
      const next = await waitMoved(lab, EGRESS_IP, holder);
      const movedAt = Date.now();
      await sleep(1_000);
      const restoredAt = Date.now();
      await lab.restoreNode(i);
      lab.startAgent(i);
      await lab.waitAgentsHealthy([i]);
      await sleep(2_000);
      cycles.push({ holder, next, lostAt, movedAt, restoredAt, settledAt: Date.now() });
    }
    await stopAsking();
    const u = await udp.stopAndAnalyze(EGRESS_IP);
    const t = await tcp.stopAndAnalyze(EGRESS_IP);
    const frames = await arp.stop();
    printReport('udp probe', u);
    printReport('tcp connection', t);

    const lossGaps = cycles.map((c) => maxGapIn(u.record, EGRESS_IP, c.lostAt, c.restoredAt));
    const returnGaps = cycles.map((c) => maxGapIn(u.record, EGRESS_IP, c.restoredAt, c.settledAt));
    console.log(`      failover gaps (udp, ms): ${lossGaps.join(' ')}`);
    console.log(`      gaps while the lost node returned (udp, ms): ${returnGaps.join(' ')}`);
    // The node that lost the IP, from its return until it next holds the IP, never claims it on the LAN.
    const stray = cycles.flatMap((c, k) => {
      const until = cycles[k + 1]?.lostAt ?? Infinity; // the next loss is the next holder's: then it may take the IP back
      const mac = [...macs].find(([, n]) => n === c.holder)?.[0];
      return claimsOf(frames, EGRESS_IP, c.restoredAt, until).filter((f) => f.srcMac === mac).map((f) => `${c.holder} ${f.op} at +${f.t - c.restoredAt} ms`);
    });
    console.log(`      ARP frames claiming ${EGRESS_IP}: ${claimsOf(frames, EGRESS_IP).length}; from a node that had lost it: ${stray.length}`);

    assert.ok(claimsOf(frames, EGRESS_IP).length > CYCLES, 'the capture saw the holders answer the router (else it proves nothing)');
    assert.deepEqual(stray, [], 'a returning node announced the IP it had lost');
    assert.deepEqual(twoMacWindows(frames, EGRESS_IP), [], 'two MACs answered for one IP');
    // No gap when a node returns, as a fact rather than a timing: every probe sent while it came back
    // (up to 0.5 s before the window ends, so its answer has time to arrive) was answered with the IP.
    const answered = new Set(u.record.replies.filter(([, , src]) => src === EGRESS_IP).map(([seq]) => seq));
    const lostOnReturn = cycles.map((c) => u.record.sends.filter(([seq, at]) => at >= c.restoredAt && at < c.settledAt - 500 && !answered.has(seq)).length);
    assert.deepEqual(lostOnReturn.filter((n) => n > 0), [], `probes lost while a node returned, per cycle: ${lostOnReturn.join(', ')}`);
    assert.equal(u.wrongReplies, 0, `replies with another source: ${JSON.stringify(u.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.deepEqual(t.record.errors.map(([, m]) => m), [], 'the TCP connection was reset or closed');
    for (const c of cycles) {
      assert.ok(t.record.replies.some(([, at]) => at > c.movedAt && at < c.settledAt), `the TCP connection answered nothing after the move to ${c.next}`);
    }
    assert.equal(t.lost, 0, 'every line sent on the TCP connection was answered');
  });

  it(`${PARTITIONS} partitions of the holder from the managers and the API (still on the LAN, a pod polling its /healthz every 50 ms): it goes silent before the IP moves; never two MACs for one IP`, async () => {
    const lab = h.lab;
    const macs = await lab.nodeMacs();
    const pollers = new Map<number, LabPod>();
    for (const i of [2, 3]) pollers.set(i, await lab.addPod({ namespace: 'shop', name: `poller-${i}`, node: i, labels: { app: 'poller' } }));
    const arp = await lab.captureArp();
    const stopAsking = lab.routerAsks(EGRESS_IP, 100);
    const udp = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    const since = Date.now();
    const parts: { holder: string; cut: number; healed: number }[] = [];
    for (let c = 0; c < PARTITIONS; c++) {
      const holder = (await lab.waitAssigned('shop', 'db-access')).get(EGRESS_IP)!;
      const i = lab.nodeIndex(holder);
      const stopPolling = lab.pollHealthz(pollers.get(i)!, addr.nodeIP(i), 50);
      await sleep(500);
      const cut = Date.now();
      await lab.cutManagers(i);
      await lab.cutApi(i);
      try {
        const next = await waitFor(`${EGRESS_IP} assigned away from ${holder}`, async () => {
          const a = (await lab.getPolicy('shop', 'db-access'))?.status?.assignments?.find((x) => x.egressIP === EGRESS_IP)?.node;
          return a && a !== holder ? a : undefined;
        }, 30_000, 50);
        const fencedMs = await waitFor(`${holder} to drop ${EGRESS_IP} by itself`, async () =>
          ((await lab.holders({ includeCut: true })).get(EGRESS_IP) ?? []).includes(holder) ? undefined : Date.now() - cut, 30_000, 50);
        console.log(`      ${holder} partitioned (polled by a pod); ${EGRESS_IP} assigned to ${next}; ${holder} dropped the address after ${fencedMs} ms`);
        await sleep(1_500);
      } finally {
        await lab.restoreApi(i);
        await lab.restoreManagers(i);
        await stopPolling();
        parts.push({ holder, cut, healed: Date.now() });
      }
      await sleep(2_000);
    }
    await stopAsking();
    const frames = await arp.stop();
    const u = await udp.stopAndAnalyze(EGRESS_IP);
    printReport('udp probe across the partitions', u);
    const conflicts = twoMacWindows(frames, EGRESS_IP);
    const silentAfter = parts.map((p) => {
      const mac = [...macs].find(([, n]) => n === p.holder)?.[0];
      const last = claimsOf(frames, EGRESS_IP, p.cut, p.healed).filter((f) => f.srcMac === mac).at(-1);
      return last ? Math.round(last.t - p.cut) : 0;
    });
    console.log(`      last ARP claim by a partitioned holder after the cut (ms): ${silentAfter.join(' ')}; 100 ms windows with two MACs: ${conflicts.length}`);
    assert.ok(claimsOf(frames, EGRESS_IP).length > PARTITIONS, 'the capture saw the holders answer the router (else it proves nothing)');
    assert.deepEqual(conflicts, [], 'two MACs answered ARP for one egress IP');
    assert.equal(u.wrongReplies, 0);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
  });
});
