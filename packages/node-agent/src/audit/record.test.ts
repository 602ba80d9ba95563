// renderAuditRecord / computePodIndex, and the whole capture rendered as audit lines (golden:
// testdata/audit.jsonl.golden). Regenerate after an intended change:
// UPDATE_GOLDEN=1 npx mocha packages/node-agent/src/audit/record.test.ts
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseConntrackEvent, type ConntrackEvent } from './conntrack-event.js';
import { computePodIndex, renderAuditLine, renderAuditRecord, type PodRef } from './record.js';

const CAPTURED = readFileSync(join(import.meta.dirname, 'testdata', 'conntrack-events.txt'), 'utf8').split('\n');
const PODS = new Map<string, PodRef>([['203.0.113.34', { namespace: 'shop', name: 'frontend-1' }]]);
const HELD = new Set(['192.0.2.100']);
const events = CAPTURED.map(parseConntrackEvent).filter((e): e is ConntrackEvent => !!e);
const byId = (id: string) => events.find((e) => e.id === id && e.type === 'destroy') ?? assert.fail(id);

describe('renderAuditRecord', () => {
  it('the capture as audit lines: only the pod\'s translated flows, a start and an end each (golden)', () => {
    const text = events.map((e) => renderAuditRecord(e, PODS, HELD, 'node-2')).filter(Boolean).map((r) => renderAuditLine(r!)).join('');
    const path = join(import.meta.dirname, 'testdata', 'audit.jsonl.golden');
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
    assert.equal(text, readFileSync(path, 'utf8'), 'audit.jsonl.golden differs (UPDATE_GOLDEN=1 to accept)');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 8, 'TCP ×2, UDP, ICMP: start and end each');
    assert.ok(lines.every((l) => l['podIP'] === '203.0.113.34' && l['egressIP'] === '192.0.2.100' && l['podName'] === 'frontend-1'));
  });

  it('an end carries both directions\' bytes and packets, ports from both tuples', () => {
    const rec = renderAuditRecord(byId('1383600772'), PODS, HELD, 'node-2');
    assert.deepEqual(rec, {
      time: '2026-11-30T05:06:30.248Z', audit: 'end', node: 'node-2', protocol: 'tcp',
      podNamespace: 'shop', podName: 'frontend-1', podIP: '203.0.113.34', podPort: 49298,
      egressIP: '192.0.2.100', egressPort: 49298, dstIP: '198.51.100.10', dstPort: 8082, flow: '1383600772',
      bytesOut: 5268, bytesIn: 164, packetsOut: 5, packetsIn: 3,
    });
  });

  it('not ours: an IP this node does not hold, a flow to the egress IP, a flow without SNAT', () => {
    const tcp = events[0]!;
    assert.equal(renderAuditRecord(tcp, PODS, new Set(['192.0.2.101']), 'node-2'), undefined);
    assert.equal(renderAuditRecord(byId('2130323718'), PODS, HELD, 'node-2'), undefined, 'inbound to the egress IP');
    assert.equal(renderAuditRecord(byId('157794890'), PODS, HELD, 'node-2'), undefined, 'routed, not translated');
  });

  it('an unknown pod IP gives null names; counters absent (accounting off) give null bytes', () => {
    const e = byId('1383600772');
    const noAcct = { ...e, original: { ...e.original, bytes: undefined, packets: undefined } } as ConntrackEvent;
    const rec = renderAuditRecord(noAcct, new Map(), HELD, 'node-2');
    assert.equal(rec?.podName, null);
    assert.equal(rec?.podNamespace, null);
    assert.equal(rec?.bytesOut, null);
    assert.equal(rec?.bytesIn, 164);
  });

  it('the end of a logged start is logged with the start\'s pod after the IP moved and the pod went', () => {
    const rec = renderAuditRecord(byId('1760034546'), new Map(), new Set(), 'node-2', { namespace: 'shop', name: 'frontend-1' });
    assert.equal(rec?.audit, 'end');
    assert.equal(rec?.podName, 'frontend-1');
  });
});

describe('computePodIndex', () => {
  const pod = (name: string, status: V1Pod['status'], hostNetwork = false): V1Pod =>
    ({ metadata: { namespace: 'ns', name }, spec: { containers: [], hostNetwork }, status });

  it('running pods by each of their IPs; host-network and finished pods left out', () => {
    const index = computePodIndex([
      pod('a', { phase: 'Running', podIP: '203.0.113.34', podIPs: [{ ip: '203.0.113.34' }, { ip: '2001:DB8::34' }] }),
      pod('b', { phase: 'Pending', podIP: '203.0.113.35' }),
      pod('host', { phase: 'Running', podIP: '192.0.2.11' }, true),
      pod('done', { phase: 'Succeeded', podIP: '203.0.113.36' }),
      pod('bad', { phase: 'Running', podIP: 'nope' }),
    ]);
    assert.deepEqual([...index].map(([ip, p]) => `${ip}=${p.name}`), ['203.0.113.34=a', '2001:db8::34=a', '203.0.113.35=b']);
  });
});
