// A lapse is reported once (LeaseTable.renew): an IP whose lease ran out is left out of renewals until
// it is claimed again. Reported by every renewal while its address stayed held, each report was a new
// lapse to self-fencing, which voided the API confirmation in flight: with a renewal on every probe
// the node never claimed again (seen in the dual-stack lab: an IPv6 holder lapsing for seconds).
// Checked on LinuxLeaseTable (over an in-memory `nft` that applies a batch whole or not at all, as the
// kernel does) and on FakeLeaseTable, which must behave alike.
import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import type { LeaseTable } from './interfaces.js';
import { FakeLeaseTable } from './fake-lease.js';
import { LinuxLeaseTable, NA_LEASE, type NftRunner } from './linux-lease.js';
import { leaseNames } from '../render/lease.js';

type NftResult = Awaited<ReturnType<NftRunner>>;

/**
 * `nft -f -` over element batches of the lease's `leased` set: a delete of a missing element fails
 * the batch. A batch applies when it is run; with `held`, its answer waits for release() (separate
 * `nft` processes finish in any order).
 */
function memoryNft(held = false): { run: NftRunner; leased: Set<string>; batches: string[]; release: (i: number) => void } {
  const leased = new Set<string>();
  const batches: string[] = [];
  const answers: ((r: NftResult) => void)[] = [];
  const apply = (input: string): NftResult => {
    const next = new Set(leased);
    for (const line of input.split('\n').filter(Boolean)) {
      const m = /^(add|delete) element \S+ \S+ leased \{ (.*) \}$/.exec(line);
      if (!m) continue; // setup lines
      for (const el of m[2]!.split(',').map((e) => e.trim().split(' ')[0]!)) {
        if (m[1] === 'add') next.add(el);
        else if (!next.delete(el)) return { exitCode: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
      }
    }
    leased.clear();
    for (const e of next) leased.add(e);
    return { exitCode: 0, stdout: '', stderr: '' };
  };
  const results: NftResult[] = [];
  const run: NftRunner = (_args, input = '') => {
    batches.push(input);
    const r = apply(input);
    if (!held) return Promise.resolve(r);
    results.push(r);
    return new Promise((resolve) => { answers.push(resolve); });
  };
  return { run, leased, batches, release: (i) => answers[i]!(results[i]!) };
}

const IP = '2001:db8:0:2::101';

/** A held IP's lease runs out: one report, no more (nor renewal attempts, where `renewalsOf` counts them) until a claim. */
async function lapseOnce(t: LeaseTable, expire: () => void, renewalsOf: () => number = () => 0): Promise<void> {
  await t.ensure([IP]);
  await t.claim([IP], 250);
  assert.deepEqual(await t.renew([IP], 250), []);
  expire();
  assert.deepEqual(await t.renew([IP], 250), [IP], 'the lapse is reported');
  const tries = renewalsOf();
  for (let k = 0; k < 3; k++) assert.deepEqual(await t.renew([IP], 250), [], 'and only once');
  assert.equal(renewalsOf(), tries, 'a lapsed IP is not renewed again');
  await t.claim([IP], 250);
  assert.deepEqual(await t.renew([IP], 250), [], 'claimed again: renewed');
  expire();
  assert.deepEqual(await t.renew([IP], 250), [IP], 'a lapse after the claim is a new one');
}

describe('lease tables report each lapse once', () => {
  it('LinuxLeaseTable', async () => {
    const nft = memoryNft();
    const t = new LinuxLeaseTable(leaseNames('segress6'), nft.run, undefined, NA_LEASE);
    const hex = `0x${'20010db8000000020000000000000101'}`;
    await lapseOnce(t, () => nft.leased.delete(hex), () => nft.batches.filter((b) => b.startsWith('delete element')).length);
  });

  it('LinuxLeaseTable: a renewal that a claim overlapped never marks the fresh lease lapsed', async () => {
    const nft = memoryNft(true);
    const t = new LinuxLeaseTable(leaseNames('segress6'), nft.run, undefined, NA_LEASE);
    const hex = `0x${'20010db8000000020000000000000101'}`;
    const step = async (i: number) => { nft.release(i); await new Promise((r) => setImmediate(r)); };
    const claimed = t.claim([IP], 250);
    await step(0);
    await claimed;
    nft.leased.delete(hex); // ran out
    const renewed = t.renew([IP], 250); // batch 1 fails ...
    await step(1); // ... so it renews one by one: batch 2 fails too
    const reclaimed = t.claim([IP], 250); // batch 3 leases it again
    await step(3);
    await reclaimed;
    await step(2); // the failed renewal answers last
    assert.deepEqual(await renewed, [], 'not reported: the claim overlapped it');
    const before = nft.batches.length;
    const next = t.renew([IP], 250);
    await step(before);
    assert.deepEqual(await next, []);
    assert.ok(nft.batches.slice(before).some((b) => b.includes(hex)), 'the fresh lease is renewed, not skipped');
  });

  it('FakeLeaseTable', async () => {
    const clock = new FakeClock();
    await lapseOnce(new FakeLeaseTable(clock), () => clock.advance(1_000));
  });
});
