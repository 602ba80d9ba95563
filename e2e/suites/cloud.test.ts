// Cloud mode (issue 13): the lab behaves like a VPC — the router delivers an egress IP only to the node
// whose ENI holds it in moto's EC2 API and ignores ARP, the LAN drops frames whose source is not on the
// sending node's ENI — and the managers run with --cloud-provider aws. A missing, late or wrong EC2
// call is lost or misrouted traffic here. Every check also reads moto: an address on two ENIs fails.
// node-1 runs the client pod (m5.large, no gateway); nodes 2 and 3 are t3.micro gateways (2 addresses
// per ENI: room for one egress IP each).
import assert from 'node:assert/strict';
import { GATEWAY_LABEL } from '@static-egress/crds';
import {
  ADMITTED_LABEL, EGRESS_IP, EGRESS_IP_2, loseGatewayUnderProbe, loseNode, nodeIPs, sawAny, sleep, startClientBehindPolicy, useLab,
  waitFor, waitMoved, type Lab, type LabPod,
} from '../src/scenario.js';
import type { LabCloud } from '../src/lab/cloud.js';
import { inNetns, tryInNetns } from '../src/lab/exec.js';
import * as O from '../src/lab/objects.js';

const EGRESS_IP_3 = '192.0.2.102';
/** In the VPC (zone b's subnet) but in no lab node's subnet. */
const ZONE_B_IP = '192.0.2.140';

describe('cloud mode (AWS via moto): the lab as a VPC', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], cloud: true });
  let client: LabPod;
  const cloud = (): LabCloud => h.lab.cloud!;

  /** The node whose ENI holds ip in moto (undefined: none); two fail. */
  async function cloudHolder(ip: string): Promise<string | undefined> {
    const hs = await cloud().holders(ip);
    assert.ok(hs.length <= 1, `${ip} is on ${hs.length} ENIs at once: ${hs.join(', ')}`);
    return hs[0];
  }

  /** Until shop/<name>'s Assigned condition has `reason` (or, partly assigned, says `text`). */
  async function waitAssignedSays(lab: Lab, name: string, reason: string, text?: string): Promise<void> {
    await waitFor(`shop/${name} Assigned: ${reason}${text ? ` "${text}"` : ''}`, async () => {
      const c = (await lab.getPolicy('shop', name))?.status?.conditions?.find((x) => x.type === 'Assigned');
      return c?.reason === reason && (!text || (c.message ?? '').includes(text));
    }, 30_000, 200);
  }

  it('seed: pool + policy → the external server sees the egress IP, which EC2 holds on the gateway\'s ENI only', async () => {
    const lab = h.lab;
    const since = Date.now();
    let holder: string;
    ({ client, holder } = await startClientBehindPolicy(lab));
    assert.equal(await cloudHolder(EGRESS_IP), holder);
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
  });

  it('the VPC ignores ARP: an address held by hand on a node whose ENI lacks it carries nothing', async () => {
    const lab = h.lab;
    const ns = lab.names.nodeNs(1);
    const dev = lab.names.nodeUplink(1);
    // node-1 claims 192.0.2.120 (in the managed range, on no ENI) with a gratuitous ARP and tries it
    await inNetns(ns, 'ip', ['addr', 'add', '192.0.2.120/32', 'dev', dev]);
    try {
      await tryInNetns(ns, 'arping', ['-q', '-U', '-c', '1', '-I', dev, '192.0.2.120']);
      const r = await tryInNetns(ns, 'socat', ['-T2', '-', 'TCP:198.51.100.10:8080,bind=192.0.2.120,connect-timeout=2']);
      assert.notEqual(r.code, 0, `a connection from an address no ENI holds got through: ${r.out}`);
      const ok = await tryInNetns(ns, 'socat', ['-T2', '-', 'TCP:198.51.100.10:8080,connect-timeout=2']);
      assert.equal(ok.out.trim(), lab.nodeIP(1), 'the node\'s own (primary) address still works');
    } finally {
      await inNetns(ns, 'ip', ['addr', 'del', '192.0.2.120/32', 'dev', dev]);
    }
  });

  it('capacity exhaustion: the second gateway takes one more IP, the next one is NoCapacity and never reaches EC2', async () => {
    const lab = h.lab;
    const first = await cloudHolder(EGRESS_IP);
    await lab.applyPolicy({ namespace: 'shop', name: 'web', egressIPs: [EGRESS_IP_2, EGRESS_IP_3], podSelector: { matchLabels: { app: 'web' } } });
    try {
      await capacityExhausted(lab, first);
    } finally {
      // free the room again for the failover below
      await lab.deletePolicy('shop', 'web');
      await waitFor(`${EGRESS_IP_2}, ${EGRESS_IP_3} off every ENI`, async () =>
        (await cloudHolder(EGRESS_IP_2)) === undefined && (await cloudHolder(EGRESS_IP_3)) === undefined, 30_000, 100);
    }
  });

  async function capacityExhausted(lab: Lab, first: string | undefined): Promise<void> {
    await waitAssignedSays(lab, 'web', 'PartiallyAssigned', 'has room left');
    const p = await lab.getPolicy('shop', 'web');
    const placed = p?.status?.assignments ?? [];
    assert.equal(placed.length, 1, `one of the two fits: ${JSON.stringify(placed)}`);
    const [fit, spare] = placed[0]!.egressIP === EGRESS_IP_2 ? [EGRESS_IP_2, EGRESS_IP_3] : [EGRESS_IP_3, EGRESS_IP_2];
    assert.notEqual(placed[0]!.node, first);
    await waitFor(`${fit} on ${placed[0]!.node}'s ENI`, async () => (await cloudHolder(fit)) === placed[0]!.node, 10_000, 100);
    assert.equal(await cloudHolder(spare), undefined);
    assert.equal(await cloudHolder(EGRESS_IP), first, 'the seed IP did not move');
    const msg = (await lab.getPolicy('shop', 'web'))?.status?.conditions?.find((x) => x.type === 'Assigned')?.message ?? '';
    assert.ok(msg.includes(spare), `the condition names ${spare}: ${msg}`);
  }

  it('an IP outside every node subnet is NoSubnet, and EC2 never sees it', async () => {
    const lab = h.lab;
    await lab.applyPool({
      name: 'zone-b', cidrs: [{ cidr: '192.0.2.128/27' }],
      namespaceSelector: { matchLabels: ADMITTED_LABEL }, nodeSelector: { matchLabels: { [GATEWAY_LABEL]: '' } },
    });
    const since = Date.now();
    await lab.applyPolicy({ namespace: 'shop', name: 'far', egressIPs: [ZONE_B_IP], podSelector: { matchLabels: { app: 'far' } } });
    await waitAssignedSays(lab, 'far', 'NoSubnet');
    assert.equal(await cloudHolder(ZONE_B_IP), undefined);
    assert.deepEqual(cloud().calls(since).filter((c) => c.action.includes('PrivateIp')), [], 'no EC2 write for an IP that fits no subnet');
    await lab.deletePolicy('shop', 'far');
  });

  it('gateway loss: the IP moves in EC2 (one unassign, one assign) and traffic resumes with it, never a node address', async () => {
    const lab = h.lab;
    const t0 = Date.now();
    const { holder, next, since, movedAt, report: r } = await loseGatewayUnderProbe(lab, client, { namespace: 'shop', name: 'db-access' },
      EGRESS_IP, { mode: 'udp', intervalMs: 5, settleMs: 3_000, title: 'udp probe' });
    const calls = cloud().calls(t0).filter((c) => c.start <= movedAt);
    const ec2Ms = calls.reduce((s, c) => s + (c.end - c.start), 0);
    console.log(`      CLOUD FAILOVER GAP: ${r.maxGapMs.toFixed(0)} ms; EC2 writes ${calls.map((c) => `${c.action} ${c.end - c.start} ms`).join(', ')} ` +
      `(${ec2Ms} ms, ${((100 * ec2Ms) / r.maxGapMs).toFixed(1)} % of the gap)`);
    assert.notEqual(next, holder);
    assert.deepEqual(calls.map((c) => c.action).sort(), ['AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses']);
    assert.ok(calls.every((c) => c.status === 200), JSON.stringify(calls));
    assert.equal(await cloudHolder(EGRESS_IP), next);
    assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.ok(r.record.replies.some(([, t, src]) => t > movedAt && src === EGRESS_IP), 'traffic resumed after the move');
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
  });

  it('EC2 API outage during a move: CloudPending + EgressIPCloudError, nothing leaves, then one unassign + one assign', async () => {
    const lab = h.lab;
    const holder = await restoreLostGateway(lab);
    const watch = watchTwoEnis(EGRESS_IP);
    const since = Date.now();
    const running = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    let stopped = false;
    try {
      await sleep(1_000);
      await cutEc2(lab, true);
      const cutAt = Date.now();
      await loseNode(lab, lab.nodeIndex(holder));
      await waitPending(lab, holder);
      await sleep(3_000); // the outage lasts: nothing moves, nothing leaves
      assert.equal(await cloudHolder(EGRESS_IP), holder, 'no EC2 write reached moto while the API was down');
      assert.deepEqual(cloud().calls(cutAt), [], 'the proxy saw no write while the API was down');
      await cutEc2(lab, false);
      const back = Date.now();
      const next = await waitMoved(lab, EGRESS_IP, holder, 60_000);
      console.log(`      EC2 back; ${EGRESS_IP} on ${next} after ${Date.now() - back} ms`);
      await sleep(2_000);
      const calls = cloud().calls(cutAt);
      assert.deepEqual(calls.map((c) => c.action).sort(), ['AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses'], JSON.stringify(calls));
      assert.ok(calls.every((c) => c.status === 200), JSON.stringify(calls));
      assert.equal(await cloudHolder(EGRESS_IP), next);
      stopped = true;
      const r = await running.stopAndAnalyze(EGRESS_IP);
      assert.ok(r.record.replies.some(([, t, src]) => t > back && src === EGRESS_IP), 'traffic resumed after the API came back');
      assert.equal(r.wrongReplies, 0, `replies with another source: ${JSON.stringify(r.wrongSources)}`);
    } finally {
      await cutEc2(lab, false);
      watch.stop();
      if (!stopped) await running.stop().catch(() => undefined);
    }
    assert.deepEqual(watch.seen, [], `${EGRESS_IP} on two ENIs at once`);
    assert.deepEqual(sawAny(lab, since, nodeIPs(lab)), [], 'the external server saw a node address');
    assert.equal(await lab.sourceIPSeen(client), EGRESS_IP);
  });

  /** The gateway the previous test lost comes back (link, then agent); resolves the node now holding EGRESS_IP. */
  async function restoreLostGateway(lab: Lab): Promise<string> {
    const holder = (await cloudHolder(EGRESS_IP))!;
    for (const i of [2, 3].filter((x) => lab.nodeName(x) !== holder)) {
      await lab.restoreNode(i); // the VPC delivers nothing to its stale address: no ENI of its holds it
      lab.startAgent(i);
      await lab.waitAgentsHealthy([i], 60_000);
      await waitFor(`${lab.nodeName(i)} to drop its stale ${EGRESS_IP}`, async () =>
        ((await lab.holders()).get(EGRESS_IP) ?? []).join() === holder, 30_000, 250);
    }
    await sleep(3_000); // the managers probe it healthy again
    return holder;
  }

  /** Cuts (or restores) every manager's way to EC2: TCP to the relay port is reset in its namespace. */
  async function cutEc2(lab: Lab, cut: boolean): Promise<void> {
    for (let m = 1; m <= lab.plan.managers; m++) {
      const ns = lab.names.managerNs(m);
      await tryInNetns(ns, 'nft', ['delete', 'table', 'inet', 'ec2-outage']);
      if (cut) {
        await inNetns(ns, 'nft', ['-f', '-'], 'table inet ec2-outage {\n  chain out {\n    type filter hook output priority 0; policy accept;\n' +
          '    tcp dport 5000 reject with tcp reset\n  }\n}\n');
      }
    }
  }

  /** Until the policy is Assigned=False CloudPending (the new holder named) and an EgressIPCloudError Event is out. */
  async function waitPending(lab: Lab, holder: string): Promise<void> {
    const c = await waitFor('shop/db-access Assigned=False CloudPending', async () => {
      const x = (await lab.getPolicy('shop', 'db-access'))?.status?.conditions?.find((y) => y.type === 'Assigned');
      return x?.status === 'False' && x.reason === 'CloudPending' ? x : undefined;
    }, 30_000, 200);
    console.log(`      Assigned=False ${c.reason}: ${c.message}`);
    const ev = await waitFor('an EgressIPCloudError Event', async () => {
      const list = await lab.kube.get<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(O.paths.events('shop'));
      return list.items.find((e) => e.reason === 'EgressIPCloudError' && e.involvedObject.name === 'db-access');
    }, 30_000, 300);
    console.log(`      Event ${ev.reason}: ${ev.message}`);
    assert.ok(!ev.message.includes(`moved to ${holder}`), ev.message);
  }

  /** Polls moto every 200 ms; `seen` lists every moment `ip` was on more than one ENI. */
  function watchTwoEnis(ip: string): { seen: string[]; stop: () => void } {
    const seen: string[] = [];
    let on = true;
    void (async () => {
      while (on) {
        const hs = await cloud().holders(ip).catch(() => []);
        if (hs.length > 1) seen.push(hs.join(', '));
        await sleep(200);
      }
    })();
    return { seen, stop: () => { on = false; } };
  }
});
