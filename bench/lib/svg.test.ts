import assert from 'node:assert/strict';
import { renderTimelineSvg } from './svg.js';

describe('renderTimelineSvg', () => {
  it('draws every send, the gap and each phase', () => {
    const svg = renderTimelineSvg({
      title: 'trial <1>',
      sends: [{ t: -10, ok: true }, { t: 0, ok: false }, { t: 300, ok: true }],
      gap: { start: 0, end: 300 },
      phases: [{ name: 'detection', start: 0, end: 250 }, { name: 'programming', start: 250, end: 290 }],
    });
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/stroke="#16a34a"/g) ?? []).length, 2);
    assert.equal((svg.match(/stroke="#9ca3af"/g) ?? []).length, 1);
    assert.match(svg, /gap 300 ms/);
    assert.match(svg, /detection 250 ms/);
    assert.match(svg, /trial &lt;1&gt;/);
  });
});
