// Gateway loss (issue 4, scenarios d and i). A node is lost the hard way: its LAN link is cut and its
// agent killed, so it can neither answer nor clean up. Traffic must resume with the same egress IP on
// another node, and the external server must never see a node's own address. An established TCP
// connection through the lost gateway must survive (the new gateway reproduces the NAT mapping).
// A gateway cut off from both the LAN and the API server, its agent still running, must drop the
// address by itself and must not take it back when the partition heals (self-fencing, DESIGN §5).
// One lab: node-1 runs the client pod, nodes 2–4 are gateways (a spare for each failover).
import assert from 'node:assert/strict';
import {
  EGRESS_IP, loseGatewayUnderProbe, nodeIPs, printReport, sawAny, sleep, startClientBehindPolicy, useLab, waitFor, type LabPod,
} from '../src/scenario.js';

describe('gateway failover (d, i)', function () {
  const h = useLab({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4] });
  let client: LabPod;

  before(async function () {
    ({ client } = await startClientBehindPolicy(h.lab));
  });

  it('(k) a gateway partitioned from the LAN and the API drops the egress IP itself, and does not take it back when the partition heals', async () => {
    const lab = h.lab;
    const holderName = (await lab.waitAssigned('shop', 'db-access', 30_000)).get(EGRESS_IP)!;
    const holder = lab.nodeIndex(holderName);
    const since = Date.now();
    const probe = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    await sleep(1_000);
    const t = Date.now();
    await lab.cutNode(holder);
    await lab.cutApi(holder);
    let next: string;
    try {
      next = await waitFor(`${EGRESS_IP} assigned away from ${holderName}`, async () => {
        const a = (await lab.getPolicy('shop', 'db-access'))?.status?.assignments?.find((x) => x.egressIP === EGRESS_IP)?.node;
        return a && a !== holderName ? a : undefined;
      }, 30_000, 100);
      const fencedMs = await waitFor(`${holderName} to drop ${EGRESS_IP} by itself`, async () =>
        ((await lab.holders({ includeCut: true })).get(EGRESS_IP) ?? []).includes(holderName) ? undefined : Date.now() - t, 30_000, 100);
      console.log(`      ${holderName} partitioned; ${EGRESS_IP} assigned to ${next}; ${holderName} dropped it itself after ${fencedMs} ms`);
      await sleep(2_000); // long enough for its watches to back off
    } finally {
      await lab.restoreApi(holder);
      await lab.restoreNode(holder);
    }
    const healed = Date.now();
    await lab.waitAgentsHealthy([holder]);
    // The healed node's cache may still assign it the IP for a while; it must hold it nowhere but `next`.
    const seen = new Set<string>();
    while (Date.now() - healed < 5_000) {
      for (const n of (await lab.holders()).get(EGRESS_IP) ?? []) seen.add(n);
      await sleep(100);
    }
    const r = await probe.stopAndAnalyze(EGRESS_IP);
    printReport('udp probe across the partition', r);
    assert.deepEqual([...seen], [next], `after the partition healed ${EGRESS_IP} was seen on ${[...seen].join(', ')}`);
    assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.ok(r.record.replies.some(([, tr]) => tr > healed + 3_000), 'traffic flows after the partition healed');
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
  });

  it('(d) gateway node lost: traffic resumes with the same egress IP on another node, never the node IP', async () => {
    const lab = h.lab;
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
    const { holder, next, since, movedAt, report: r } = await loseGatewayUnderProbe(lab, client, { namespace: 'shop', name: 'db-access' },
      EGRESS_IP, { mode: 'udp', intervalMs: 5, settleMs: 3_000, title: 'udp probe' });
    console.log(`      FAILOVER GAP (d): ${r.maxGapMs.toFixed(0)} ms`);

    assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.notEqual(next, holder);
    assert.ok(r.answered > 0 && r.record.replies.some(([, t, src]) => t > movedAt && src === EGRESS_IP), 'traffic resumed after the cut');
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
    const status = await lab.waitAssigned('shop', 'db-access', 30_000);
    assert.equal(status.get(EGRESS_IP), next, 'status names the new holder');
  });

  it('(i) an established TCP connection through a gateway survives that gateway\'s failover', async () => {
    const lab = h.lab;
    const { since, movedAt, report: r } = await loseGatewayUnderProbe(lab, client, { namespace: 'shop', name: 'db-access' },
      EGRESS_IP, { mode: 'stream', intervalMs: 20, settleMs: 4_000, title: 'tcp stream' });
    console.log(`      TCP stall across the failover (i): ${r.maxGapMs.toFixed(0)} ms`);

    assert.deepEqual(r.record.errors.filter(([t]) => t < r.record.sends.at(-1)![1]).map(([, m]) => m), [],
      'the connection was reset or closed');
    assert.equal(r.wrongReplies, 0);
    assert.ok(r.record.replies.some(([, t, src]) => t > movedAt && src === EGRESS_IP), 'lines answered on the same connection after the failover');
    assert.equal(r.lost, 0, 'every line sent on the connection was answered');
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
  });
});
