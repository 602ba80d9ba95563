import assert from 'node:assert/strict';
import { leaseNames } from './lease.js';
import { parseLease6Tables, renderLease6Claim, renderLease6Renew, renderLease6Setup } from './lease6.js';

const n = leaseNames('segress6');

describe('NA lease (IPv6) text', () => {
  it('gates NAs by target and NS/NA by source, the addresses as 128-bit integers', () => {
    const text = renderLease6Setup(n, ['2001:db8:0:2::102']);
    assert.match(text, /add element ip6 segress6_lease owned \{ 0x20010db8000000020000000000000102 \}/);
    assert.match(text, /icmpv6 type nd-neighbor-advert @th,64,128 @owned @th,64,128 != @leased drop/);
    assert.match(text, /icmpv6 type \{ nd-neighbor-solicit, nd-neighbor-advert \} @nh,64,128 @owned @nh,64,128 != @leased drop/);
    assert.equal(renderLease6Claim(n, [], 1000), '');
    assert.match(renderLease6Renew(n, ['2001:db8::1'], 1500), /^delete element .* \{ 0x20010db8000000000000000000000001 \}\nadd element .*timeout 1500ms/);
  });

  it('reads the kernel listing back as addresses', () => {
    const json = JSON.stringify({ nftables: [
      { set: { name: 'owned', elem: ['0x20010db8000000020000000000000102', '0x20010db8000000000000000000000001'] } },
      { set: { name: 'leased', elem: [{ elem: { val: '0x20010db8000000020000000000000102', timeout: 5 } }] } },
      { rule: { chain: 'output' } }, { rule: { chain: 'output' } },
    ] });
    assert.deepEqual(parseLease6Tables(json), { guard: true, owned: new Set(['2001:db8:0:2::102', '2001:db8::1']), leased: new Set(['2001:db8:0:2::102']) });
    assert.deepEqual(parseLease6Tables(''), { guard: false, owned: new Set(), leased: new Set() });
  });
});
