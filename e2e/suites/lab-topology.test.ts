// The lab's rendered network (pure, no root needed): the safety rules of DESIGN §7 hold for every
// command the lab would run — each names a lab namespace, each link and chain carries the run prefix
// and fits the kernel's 15 characters, and only documentation ranges appear.
import assert from 'node:assert/strict';
import * as A from '../src/lab/addressing.js';
import { LAB_NETNS_RE, randomPrefix } from '../src/lab/names.js';
import { analyzeProbe } from '../src/lab/probe-analysis.js';
import { planTopology, renderPod, renderTopology, type Script } from '../src/lab/topology.js';

function text(s: Script): string {
  if (s.tool === 'ip' || s.tool === 'bridge') return s.lines.join('\n');
  if (s.tool === 'sysctl') return Object.keys(s.settings).join('\n');
  return s.text;
}

describe('lab topology rendering', () => {
  for (const overlay of [false, true]) {
    it(`${overlay ? 'overlay' : 'host-gw'}: every command stays in the run's namespaces, names and ranges`, () => {
      const prefix = randomPrefix();
      const plan = planTopology({ prefix, nodes: 6, managers: 2, overlay });
      const scripts = [...renderTopology(plan), ...renderPod(plan, { index: 99, node: 6, ip: A.podIP(6, 28) })];
      for (const s of scripts) {
        assert.match(s.ns, LAB_NETNS_RE);
        assert.ok(s.ns.startsWith(`${prefix}-`), s.ns);
        const body = text(s);
        for (const m of body.matchAll(/\b(?:link add|name|master|dev|peer name) (\S+)/g)) {
          const ifname = m[1]!;
          if (ifname === 'lo') continue;
          assert.ok(ifname.startsWith(prefix), `${ifname} lacks the prefix`);
          assert.ok(ifname.length <= 15, `${ifname} is longer than 15`);
        }
        for (const m of body.matchAll(/\b(\d+\.\d+\.\d+)\.\d+/g)) {
          assert.ok(['192.0.2', '198.51.100', '203.0.113'].includes(m[1]!), `address outside the lab ranges: ${m[0]}`);
        }
        for (const m of body.matchAll(/^[:-]A? ?(\S+)/gm)) assert.ok(!/^SEGRESS/.test(m[1]!), 'the lab never writes product chains');
      }
      const nat = scripts.find((s) => s.tool === 'iptables-restore');
      assert.ok(nat && text(nat).includes(`:${prefix}-MASQ`));
      assert.equal(scripts.some((s) => s.tool === 'nft'), overlay, 'the LAN drops pod frames only in the overlay variant');
    });
  }

  it('refuses more nodes than the pod range allows', () => {
    assert.throws(() => planTopology({ prefix: 'selabcd', nodes: 7, managers: 2, overlay: false }));
    assert.throws(() => planTopology({ prefix: 'bad', nodes: 1, managers: 0, overlay: false }));
  });

  it('probe analysis: the gap is measured between correctly answered sends; wrong sources are counted', () => {
    const sends: [number, number][] = Array.from({ length: 10 }, (_, k) => [k, 1000 + k * 10]);
    const replies: [number, number, string][] = [
      [0, 1001, '192.0.2.100'], [1, 1011, '192.0.2.100'], [2, 1021, '192.0.2.12'],
      [6, 1061, '192.0.2.100'], [7, 1071, '192.0.2.100'], [8, 1081, '192.0.2.100'], [9, 1091, '192.0.2.100'],
    ];
    const r = analyzeProbe({ mode: 'udp', target: 'x', interval: 10, sends, replies, errors: [] }, '192.0.2.100');
    assert.equal(r.maxGapMs, 50); // reply of seq 1 at 1011 → reply of seq 6 at 1061
    assert.equal(r.maxSendGapMs, 50);
    // A late answer is still a gap: seq 3 answered only at 1200, nothing else in between.
    const late = analyzeProbe({ mode: 'udp', target: 'x', interval: 10, sends: sends.slice(0, 5),
      replies: [[0, 1001, 'e'], [1, 1011, 'e'], [2, 1021, 'e'], [3, 1200, 'e'], [4, 1201, 'e']], errors: [] }, 'e');
    assert.equal(late.maxGapMs, 179);
    assert.equal(late.maxSendGapMs, 10);
    assert.equal(late.maxLatencyMs, 170);
    assert.equal(r.lost, 3);
    assert.equal(r.wrongReplies, 1);
    assert.deepEqual(r.wrongSources, { '192.0.2.12': 1 });
  });
});
