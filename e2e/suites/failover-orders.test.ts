// The manager's orders on the probe channel (issue 16 §1, §3; CONTRACTS "Orders on the probe
// channel"): a node loss is acted on by the new holder from a signed order, before the status reaches
// its watch; an order that is forged (another key) or replayed (the same token again) is refused and
// moves nothing. Real kube-apiserver, real agents and managers, real kernels in the lab's namespaces.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  generateProbeKeyText, PROBE_AUTH_HEADER, PROBE_ORDER_HEADER, PROBE_RUN_HEADER, probeHeaders, probeKeyFromText, type ProbeKey, type ProbeOrder,
} from '@static-egress/controller-kit';
import * as A from '../src/lab/addressing.js';
import { CLIENT_POLICY, FAMILY_MODES, egressIPsOf, loseGatewaysUnderProbe, probeFaults, returnNodes, startClientBehindPolicyIn } from '../src/families.js';
import { sleep, useLab, type LabPod } from '../src/scenario.js';
import type { Lab } from '../src/lab/lab.js';

const exec = promisify(execFile);
const ORDER_LINE = 'the manager ordered a move on its probe';
const mode = FAMILY_MODES[0]!; // IPv4 only: the order path is the same for both families

/** The daemon's JSON log lines with this message. */
function logLines(lab: Lab, file: string, msg: string): Record<string, unknown>[] {
  let text = '';
  try { text = readFileSync(join(lab.logDir, file), 'utf8'); } catch { /* not written yet */ }
  return text.split('\n').flatMap((l) => {
    try {
      const e = JSON.parse(l) as Record<string, unknown>;
      return e['msg'] === msg ? [e] : [];
    } catch {
      return [];
    }
  });
}

/** One GET of node i's /healthz from node 1's namespace with these headers; the HTTP status. */
async function probeFrom1(lab: Lab, i: number, headers: Record<string, string>): Promise<string> {
  const args = ['netns', 'exec', lab.names.nodeNs(1), 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(`http://${A.nodeIP(i)}:9310/healthz`);
  return (await exec('ip', args)).stdout;
}

describe('orders on the probe channel (issue 16)', function () {
  const h = useLab({ nodes: 4, managers: 2, gatewayNodes: [2, 3, 4] });
  const [ip] = egressIPsOf(mode, 0) as [string];
  let client: LabPod;
  let key: ProbeKey;

  before(async function () {
    ({ client } = await startClientBehindPolicyIn(h.lab, mode));
    key = probeKeyFromText(readFileSync(join(h.lab.dir, 'probe-key'), 'utf8'));
  });

  it('a forged order moves nothing, and a replayed one is acted on once', async () => {
    const lab = h.lab;
    const assigned = await lab.waitAssigned(CLIENT_POLICY.namespace, CLIENT_POLICY.name, 30_000);
    const holder = assigned.get(ip)!;
    const other = ['node-2', 'node-3', 'node-4'].find((n) => n !== holder)!;
    const claim: ProbeOrder = { claim: [ip], release: [] };
    // forged: signed with a key the managers do not hold, aimed at a node that does not hold the IP
    const forged = probeHeaders(probeKeyFromText(generateProbeKeyText()), other, Date.now(), { renew: false, order: claim });
    assert.equal(await probeFrom1(lab, lab.nodeIndex(other), forged), '200', 'anyone may read /healthz');
    // a real token with an order header lifted from another token: the order is not bound to it
    const real = probeHeaders(key, other, Date.now(), { renew: false });
    const lifted = probeHeaders(key, other, Date.now(), { renew: false, order: claim })[PROBE_ORDER_HEADER]!;
    await probeFrom1(lab, lab.nodeIndex(other), { [PROBE_AUTH_HEADER]: real[PROBE_AUTH_HEADER]!, [PROBE_ORDER_HEADER]: lifted });
    // replayed: a correctly signed order (claim the IP for its own holder: changes nothing) sent twice
    const sentAt = Date.now();
    const valid = probeHeaders(key, holder, sentAt, { renew: false, order: claim });
    assert.equal(await probeFrom1(lab, lab.nodeIndex(holder), valid), '200');
    assert.equal(await probeFrom1(lab, lab.nodeIndex(holder), valid), '200');
    await sleep(1_000); // an order is acted on within one pass; wait well past it before looking
    const held = await lab.holders();
    assert.deepEqual(held.get(ip), [holder], `${ip} on ${held.get(ip)?.join(', ')}`);
    assert.deepEqual(logLines(lab, `agent-${other}.log`, ORDER_LINE), [], 'the forged and lifted orders were refused');
    // the manager's own order of the first placement is logged too: count the lines of this token
    const taken = logLines(lab, `agent-${holder}.log`, ORDER_LINE).filter((e) => e['sentAt'] === sentAt);
    assert.equal(taken.length, 1, 'the valid order once, its replay refused');
    assert.equal(PROBE_RUN_HEADER in valid, false);
  });

  it('a node loss is acted on from the manager\'s order: the new holder claims before the status reaches its watch', async () => {
    const lab = h.lab;
    const { lost, next, reports } = await loseGatewaysUnderProbe(lab, client, CLIENT_POLICY, mode, 0,
      { mode: 'udp', intervalMs: 5, settleMs: 2_000, title: 'udp probe' });
    const to = next.get(ip)!;
    assert.deepEqual(probeFaults(reports), []);
    const sent = [...lab.managers.keys()].flatMap((m) => logLines(lab, `manager-${m}.log`, 'order sent on the probe channel'))
      .filter((e) => e['node'] === to && (e['claim'] as string[]).includes(ip));
    assert.ok(sent.length >= 1, `the leader ordered ${to} to claim ${ip}`);
    const got = logLines(lab, `agent-${to}.log`, ORDER_LINE).filter((e) => (e['claim'] as string[]).includes(ip));
    assert.ok(got.length >= 1, `${to} took the order`);
    await returnNodes(lab, lost);
  });
});
