// Gateway loss (issue 4, scenarios d and i). A node is lost the hard way: its LAN link is cut and its
// agent killed, so it can neither answer nor clean up. Traffic must resume with the same egress IP on
// another node, and the external server must never see a node's own address. An established TCP
// connection through the lost gateway must survive (the new gateway reproduces the NAT mapping).
// One lab: node-1 runs the client pod, nodes 2–4 are gateways (a spare for each failover).
import assert from 'node:assert/strict';
import {
  EGRESS_IP, loseGatewayUnderProbe, nodeIPs, sawAny, startClientBehindPolicy, useLab, type LabPod,
} from '../src/scenario.js';

describe('gateway failover (d, i)', function () {
  const h = useLab({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4] });
  let client: LabPod;

  before(async function () {
    ({ client } = await startClientBehindPolicy(h.lab));
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
