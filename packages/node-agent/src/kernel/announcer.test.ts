// RepeatedAnnouncer (issue 16 §1): a claim's first GARP leaves during the call itself — a 0 ms timer
// fired only after whatever held the event loop next (the claim's conntrack process: 15–20 ms on a
// loaded node) — and the repeats only while the lease runs. Timers are mocked (node:test): no
// assertion here depends on how fast the machine is.
import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { RepeatedAnnouncer } from './linux-exec.js';

describe('RepeatedAnnouncer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('sends the first announcement within the call, the repeats on their timers while allowed', () => {
    const sent: string[] = [];
    const a = new RepeatedAnnouncer((dev, ip) => sent.push(`${dev} ${ip}`), [0, 20, 40]);
    let leased = true;
    a.mayRepeat = () => leased;
    a.announce('eth0', '192.0.2.100');
    assert.deepEqual(sent, ['eth0 192.0.2.100'], 'the first one before announce() returned');
    mock.timers.tick(20);
    assert.equal(sent.length, 2, 'a repeat while the lease runs');
    leased = false;
    mock.timers.tick(20);
    assert.equal(sent.length, 2, 'no repeat once the lease ran out');
  });

  it('cancel stops the repeats', () => {
    const sent: string[] = [];
    const a = new RepeatedAnnouncer((_dev, ip) => sent.push(ip), [0, 10]);
    a.announce('eth0', '192.0.2.100');
    a.cancel('192.0.2.100');
    mock.timers.tick(30);
    assert.deepEqual(sent, ['192.0.2.100']);
  });
});
