import assert from 'node:assert/strict';
import type { EchoEntry } from '../lab/echo-log.js';
import { analyzeProbeWindow } from './probe.js';

const at = (t: number, src = '192.0.2.100'): EchoEntry => ({ t, proto: 'tcp', src, sport: 40000 + t, dst: '198.51.100.10' });

describe('kubelet-lab probe window', () => {
  it('reports the longest silence of the egress IP, window edges included', () => {
    const w = analyzeProbeWindow([at(1000), at(1200), at(1400), at(2900), at(3100)], { egressIP: '192.0.2.100', from: 900, to: 3200 });
    assert.equal(w.connections, 5);
    assert.equal(w.maxGapMs, 1500);
    assert.equal(w.gapStart, 1400);
    assert.deepEqual(w.leaks, []);
  });
  it('counts any other source as a leak, and a leak does not fill the gap', () => {
    const w = analyzeProbeWindow([at(1000), at(1500, '192.0.2.11'), at(2000)], { egressIP: '192.0.2.100', from: 1000, to: 2000 });
    assert.deepEqual(w.leaks.map((e) => e.src), ['192.0.2.11']);
    assert.equal(w.maxGapMs, 1000);
  });
  it('a window with no arrival is one gap, and entries outside it are ignored', () => {
    const w = analyzeProbeWindow([at(10, '192.0.2.12'), at(5000)], { egressIP: '192.0.2.100', from: 100, to: 600 });
    assert.equal(w.connections, 0);
    assert.equal(w.maxGapMs, 500);
  });
});
