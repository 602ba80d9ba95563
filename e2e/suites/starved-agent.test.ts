// No false alarms (issue 16 §2): the holder's agent is starved — stopped with SIGSTOP for 300–800 ms,
// as a saturated node's event loop waits for a core — while its kernel keeps forwarding. The probes
// that arrive meanwhile queue in the kernel; its ARP lease runs out during the longer stalls. Expected:
// the IP never moves (the manager sees the node's kernel answer), the agent never drops its addresses
// (the fence forgives probes up to its window late), every lapsed lease is taken back from the next
// probe of the same manager run (not from an API list), the holder answers ARP again after every
// stall, and no packet leaves with a wrong source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { EGRESS_IP, claimsOf, printReport, sleep, startClientBehindPolicy, useLab, type Lab } from '../src/scenario.js';

const STALLS_MS = [300, 500, 800, 300, 500, 800];

interface LogLine { t: number; msg: string; [k: string]: unknown }

/** A daemon's pino JSON lines from `since` on. */
function logSince(path: string, since: number): LogLine[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      const t = typeof o['time'] === 'number' ? o['time'] : Date.parse(String(o['time']));
      return t >= since ? [{ ...o, t, msg: String(o['msg'] ?? '') }] : [];
    } catch {
      return []; // a line being written
    }
  });
}

function managerLines(lab: Lab, since: number): LogLine[] {
  return [...lab.managers.values()].flatMap((d) => logSince(d.logPath, since));
}

describe('a starved agent (issue 16 §2): no false alarm', function () {
  const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], prefix: `selsea${'abcdefghijklmnopqrstuvwxyz'[randomInt(26)]}` });

  it(`the holder's agent stopped for ${STALLS_MS.join(', ')} ms: the IP stays, no self-fence, lapsed leases come back at the next probe, no wrong source`, async () => {
    const lab = h.lab;
    const { client, holder } = await startClientBehindPolicy(lab);
    const i = lab.nodeIndex(holder);
    const agent = lab.agents.get(i)!;
    const macs = await lab.nodeMacs();
    const holderMac = [...macs].find(([, n]) => n === holder)?.[0];
    await sleep(2_000); // past the start's confirmation
    const since = Date.now();
    const arp = await lab.captureArp();
    const stopAsking = lab.routerAsks(EGRESS_IP, 100);
    const udp = lab.startProbe(client, { mode: 'udp', intervalMs: 5 });
    await sleep(1_000);
    const stalls: { ms: number; resumed: number; next: number }[] = [];
    for (const ms of STALLS_MS) {
      const pid = agent.pid!;
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(ms);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const resumed = Date.now();
      await sleep(2_000);
      stalls.push({ ms, resumed, next: Date.now() });
    }
    await stopAsking();
    const frames = await arp.stop();
    const u = await udp.stopAndAnalyze(EGRESS_IP);
    printReport('udp probe across the stalls', u);

    const agentLog = logSince(agent.logPath, since);
    const count = (prefix: string) => agentLog.filter((e) => e.msg.startsWith(prefix)).length;
    const unhealthy = managerLines(lab, since).filter((e) => e.msg === 'gateway agent unhealthy');
    const answeredAfter = stalls.map((s) => claimsOf(frames, EGRESS_IP, s.resumed, s.next).filter((f) => f.srcMac === holderMac).length);
    console.log(`      lapses ${count('kernel lease ran out')}, taken back from the probe ${count('contact resumed in the same manager run')}, ` +
      `self-fences ${count('no contact with the API server or the manager')}; ARP answers by ${holder} after each stall: ${answeredAfter.join(' ')}`);

    assert.deepEqual(unhealthy.map((e) => JSON.stringify(e['why'])), [], 'the manager declared the starved node lost');
    assert.equal((await lab.waitAssigned('shop', 'db-access')).get(EGRESS_IP), holder, 'the IP moved');
    assert.equal(count('no contact with the API server or the manager'), 0, 'the agent dropped its addresses');
    assert.ok(count('kernel lease ran out') + count('contact resumed in the same manager run') > 0,
      'no lease lapsed: the stalls were too short to test the continuation');
    assert.deepEqual(answeredAfter.filter((n) => n === 0), [], 'the holder did not answer ARP again after a stall');
    assert.equal(u.wrongReplies, 0, `replies with another source: ${JSON.stringify(u.wrongSources)}`);
  });
});
