import assert from 'node:assert/strict';
import { failoverMarks, isSync, mergeLogs, parseDaemonLog, splitPhases } from './daemon-logs.js';

const line = (o: object) => JSON.stringify(o);

describe('daemon logs → failover phases', () => {
  const manager = parseDaemonLog([
    '=== 2026-11-24T00:06:27.110Z starting ip netns exec …',
    line({ level: 30, time: '2026-11-24T00:06:42.914Z', node: 'node-2', healthy: true, msg: 'gateway agent healthy' }),
    line({ level: 30, time: '2026-11-24T00:06:45.945Z', node: 'node-2', healthy: false, msg: 'gateway agent unhealthy' }),
    line({ level: 30, time: '2026-11-24T00:06:45.966Z', policy: 'b/p', reason: 'EgressIPMoved', msg: 'egress IP 192.0.2.100 failed over from node-2 to node-3: …' }),
    '{"level":30,"time":"2026-11-24T00:06:4', // torn line
  ].join('\n'));
  const agent = parseDaemonLog([
    line({ time: Date.parse('2026-11-24T00:06:42.324Z'), full: true, changed: { chains: 9, addresses: 0 }, msg: 'synced' }),
    line({ time: Date.parse('2026-11-24T00:06:46.057Z'), full: false, changed: { ipsets: 1, chains: 4, addresses: 1 }, msg: 'synced' }),
  ].join('\n'));
  const fault = Date.parse('2026-11-24T00:06:45.226Z');

  it('parses ISO and epoch-ms times and skips headers and torn lines', () => {
    assert.equal(manager.length, 3);
    assert.equal(agent[1]!.t, Date.parse('2026-11-24T00:06:46.057Z'));
    assert.ok(isSync(agent[1]!, ['addresses']));
    assert.ok(!isSync(agent[0]!, ['addresses']));
    assert.deepEqual(mergeLogs(agent, manager).map((e) => e.t), [...agent, ...manager].map((e) => e.t).sort((a, b) => a - b));
  });

  it('a sync that added only an IPv6 address counts (its counts sit under ipv6, issue 11)', () => {
    const [only6, neither] = parseDaemonLog([
      line({ time: 1, changed: { chains: 0, addresses: 0 }, ipv6: { changed: { chains: 2, addresses: 1 } }, msg: 'synced' }),
      line({ time: 2, changed: { chains: 0, addresses: 0 }, ipv6: { changed: { chains: 2, addresses: 0 } }, msg: 'synced' }),
    ].join('\n'));
    assert.ok(isSync(only6!, ['addresses']));
    assert.ok(!isSync(neither!, ['addresses']));
    assert.ok(isSync(neither!));
  });

  it('finds detection, status write and programming after the fault', () => {
    const m = failoverMarks({ fault, oldNode: 'node-2', newNode: 'node-3', manager, newAgent: agent });
    assert.equal(m.unhealthy! - fault, 719);
    assert.equal(m.statusWritten! - fault, 740);
    assert.equal(m.programmed! - fault, 831);
    const p = splitPhases(fault, m, fault + 844)!;
    assert.deepEqual(p, { detection: 719, assignment: 21, programming: 91, rest: 13 });
  });

  it('without the manager\'s Event (logged once per 10 min), the agent\'s own milestones: status seen, GARP sent', () => {
    const t0 = Date.parse('2026-11-30T12:00:00.000Z');
    const mgr = parseDaemonLog(line({ time: new Date(t0 + 150).toISOString(), node: 'node-2', msg: 'gateway agent unhealthy' }));
    const agent2 = parseDaemonLog(line({ time: new Date(t0 + 300).toISOString(), changed: { addresses: 1 }, ms: 100, waitedMs: 10, computeMs: 5, announcedMs: 20, msg: 'synced' }));
    const m = failoverMarks({ fault: t0, oldNode: 'node-2', newNode: 'node-3', manager: mgr, newAgent: agent2 });
    // pass start 200: seen 190, GARP 225
    assert.deepEqual(m, { unhealthy: t0 + 150, statusWritten: t0 + 190, programmed: t0 + 225 });
  });

  it('a claim straight from the order: its GARP time from the agent\'s own line, before any sync', () => {
    const t0 = Date.parse('2026-11-30T12:00:00.000Z');
    const mgr = parseDaemonLog(line({ time: new Date(t0 + 150).toISOString(), node: 'node-2', msg: 'gateway agent unhealthy' }));
    const agent3 = parseDaemonLog([
      line({ time: new Date(t0 + 190).toISOString(), ips: ['192.0.2.100'], announcedMs: 4, garpAt: t0 + 160, msg: 'claimed from the order: leased, added, announced' }),
      line({ time: new Date(t0 + 300).toISOString(), changed: { chains: 1, addresses: 0 }, ms: 100, waitedMs: 10, computeMs: 5, msg: 'synced' }),
    ].join('\n'));
    const m = failoverMarks({ fault: t0, oldNode: 'node-2', newNode: 'node-3', manager: mgr, newAgent: agent3 });
    assert.equal(m.programmed, t0 + 160);
  });

  it('clamps out-of-order milestones so the phases add up to the gap', () => {
    const p = splitPhases(1000, { unhealthy: 1500, statusWritten: 1600, programmed: 1590 }, 1620)!;
    assert.deepEqual(p, { detection: 500, assignment: 100, programming: 0, rest: 20 });
    assert.equal(p.detection + p.assignment + p.programming + p.rest, 620);
    assert.equal(splitPhases(1000, { unhealthy: 1500 }, 1620), undefined);
  });

  it('ignores an unhealthy verdict from before the fault', () => {
    const m = failoverMarks({ fault: fault + 5_000, oldNode: 'node-2', newNode: 'node-3', manager, newAgent: agent });
    assert.equal(m.unhealthy, undefined);
  });
});
