// The egress audit log in the lab (issue 10 §5, docs/audit-log.md): the agents run with
// --audit-log stdout (as the DaemonSet would, into the cluster's log pipeline). A connection from a
// selected pod to the external server appears in the log of the gateway holding the egress IP —
// the pod's namespace, name and IP, the egress IP and the port the server saw, the destination —
// and its end follows with the bytes of both directions. No other node logs it, and a pod no policy
// selects appears nowhere. One lab: node-1 runs pods only, node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inNetns } from '../src/lab/exec.js';
import { ADMITTED_LABEL, EGRESS_IP, addr as A, applyStandardPool, useLab, waitFor, type LabPod } from '../src/scenario.js';

type AuditLine = Record<string, string | number | null>;

describe('egress audit log', function () {
  const h = useLab({ nodes: 3, managers: 1, gatewayNodes: [2, 3], agentArgs: ['--audit-log', 'stdout', '--audit-log-rate', '1000'] });

  /** The audit lines in node i's agent output (its pino log lines have no `audit` field). */
  function auditLines(i: number): AuditLine[] {
    const text = readFileSync(h.lab.agents.get(i)!.logPath, 'utf8');
    return text.split('\n').filter((l) => l.includes('"audit":')).flatMap((l) => {
      try { return [JSON.parse(l) as AuditLine]; } catch { return []; }
    }).filter((r) => 'audit' in r);
  }

  before(async function () {
    await applyStandardPool(h.lab);
  });

  it('a selected pod\'s connection appears on the gateway with its pod and egress IP, and ends with bytes', async () => {
    const lab = h.lab;
    await lab.ensureNamespace('audit', ADMITTED_LABEL);
    const pod = await lab.addPod({ namespace: 'audit', name: 'client-1', node: 1, labels: { app: 'client' } });
    const other = await lab.addPod({ namespace: 'audit', name: 'bystander', node: 1, labels: { app: 'other' } });
    await lab.applyPolicy({ namespace: 'audit', name: 'audited', egressIPs: [EGRESS_IP], podSelector: { matchLabels: { app: 'client' } } });
    const gw = lab.nodeIndex((await lab.waitAssigned('audit', 'audited', 90_000)).get(EGRESS_IP)!);
    // a closed TCP flow sits in TIME_WAIT for 120 s; 1 s in the gateway's namespace makes its end come now
    await inNetns(lab.names.nodeNs(gw), 'sysctl', ['-q', '-w', 'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1']);
    await lab.waitSourceIP(pod, EGRESS_IP);
    assert.equal(await lab.sourceIPSeen(other), A.nodeIP(1), 'the bystander leaves with its node\'s address');

    const t0 = Date.now();
    assert.equal(await lab.sourceIPSeen(pod), EGRESS_IP);
    const seen = lab.echoLog(t0).find((e) => e.proto === 'tcp' && e.src === EGRESS_IP) ?? assert.fail('the echo server saw the connection');
    const start = await waitFor(`the start line on node-${gw}`, async () => auditLines(gw).find((r) =>
      r['audit'] === 'start' && r['egressPort'] === seen.sport && r['podIP'] === pod.ip), 20_000, 200);
    console.log(`      ${JSON.stringify(start)}`);
    assert.deepEqual(pick(start), {
      node: `node-${gw}`, protocol: 'tcp', podNamespace: 'audit', podName: 'client-1', podIP: pod.ip,
      egressIP: EGRESS_IP, egressPort: seen.sport, dstIP: A.ECHO_IP, dstPort: A.ECHO_TCP_PORT,
    });
    assert.equal(typeof start['podPort'], 'number');
    assert.ok(Math.abs(Date.parse(String(start['time'])) - seen.t) < 5_000, `start time ${start['time']} near the server's ${new Date(seen.t).toISOString()}`);

    const end = await waitFor('the end line with bytes', async () => {
      // listing the table reaps expired entries now rather than at the kernel's next GC scan
      await inNetns(lab.names.nodeNs(gw), 'conntrack', ['-L', '-s', pod.ip]).catch(() => '');
      return auditLines(gw).find((r) => r['audit'] === 'end' && r['flow'] === start['flow']);
    }, 60_000, 500);
    console.log(`      ${JSON.stringify(end)}`);
    assert.deepEqual(pick(end), pick(start), 'the end names the same connection');
    assert.ok(Number(end['bytesOut']) > 0 && Number(end['bytesIn']) > 0, `bytes both ways: ${end['bytesOut']} / ${end['bytesIn']}`);
    assert.ok(Number(end['packetsOut']) > 0 && Number(end['packetsIn']) > 0);

    for (const i of lab.nodeIndexes.filter((n) => n !== gw)) {
      assert.deepEqual(auditLines(i).filter((r) => r['podIP'] === pod.ip), [], `node-${i} does not hold ${EGRESS_IP}: it logs nothing of it`);
    }
    assertNotLogged(other);
  });

  function assertNotLogged(p: LabPod): void {
    for (const i of h.lab.nodeIndexes) {
      assert.deepEqual(auditLines(i).filter((r) => r['podIP'] === p.ip), [], `${p.name} uses no egress IP: not in node-${i}'s audit log`);
    }
  }
});

function pick(r: AuditLine): AuditLine {
  const { node, protocol, podNamespace, podName, podIP, egressIP, egressPort, dstIP, dstPort } = r;
  return { node, protocol, podNamespace, podName, podIP, egressIP, egressPort, dstIP, dstPort } as AuditLine;
}
