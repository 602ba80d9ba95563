import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { FakeLeaseTable } from '../kernel/fake-lease.js';
import { familyLeaseTable } from './family-lease.js';

describe('familyLeaseTable', () => {
  it('each IP goes to its family\'s lease; lapsed leases of both come back; the IPv6 table is untouched without IPv6', async () => {
    const clock = new FakeClock();
    const v4 = new FakeLeaseTable(clock);
    const v6 = new FakeLeaseTable(clock);
    const t = familyLeaseTable(v4, v6);
    await t.ensure(['192.0.2.100']);
    assert.deepEqual([v4.present, v6.present], [true, false]);
    await t.ensure(['192.0.2.100', '2001:db8::100']);
    await t.claim(['192.0.2.100', '2001:db8::100'], 1000);
    assert.deepEqual([[...(await v4.read()).leased], [...(await v6.read()).leased]], [['192.0.2.100'], ['2001:db8::100']]);
    clock.advance(2000);
    assert.deepEqual((await t.renew(['192.0.2.100', '2001:db8::100'], 1000)).sort(), ['192.0.2.100', '2001:db8::100']);
    await t.claim(['2001:db8::100'], 1000);
    assert.deepEqual([...(await t.read()).leased], ['2001:db8::100']);
    await t.end(['2001:db8::100']);
    assert.deepEqual((await t.read()).leased.size, 0);
  });
});
