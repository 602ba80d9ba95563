// canonicalIP remembers the text it has seen (issue 16 §4); a remembered answer is the parser's answer.
import assert from 'node:assert/strict';
import { canonicalIP, ipFamilyOf } from './address.js';

describe('canonicalIP memo', () => {
  it('gives the same answer the second time, for addresses and for text that is none', () => {
    for (const [text, want] of [['2001:DB8:0:0::1', '2001:db8::1'], ['192.0.2.1', '192.0.2.1'], ['192.0.2.01', undefined], ['::ffff:192.0.2.1', undefined], ['x', undefined]] as const) {
      assert.equal(canonicalIP(text), want, text);
      assert.equal(canonicalIP(text), want, `${text} again`);
    }
    assert.equal(ipFamilyOf('2001:db8::/32'), 6);
    assert.equal(ipFamilyOf('192.0.2.0/24'), 4);
    assert.equal(ipFamilyOf('192.0.2.01'), undefined);
    assert.equal(ipFamilyOf(''), undefined);
  });
});
