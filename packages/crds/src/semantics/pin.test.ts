import assert from 'node:assert/strict';
import { pinEgressIP, stableHash32 } from './pin.js';

describe('pinEgressIP', () => {
  const ips = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];

  it('returns the only IP of a one-element set', () => {
    assert.equal(pinEgressIP('uid', ['192.0.2.100']), '192.0.2.100');
  });

  it('throws on an empty set', () => {
    assert.throws(() => pinEgressIP('uid', []), RangeError);
  });

  it('is stable across releases: these values must never change', () => {
    // Changing the hash would move every pod's source address on upgrade.
    assert.equal(stableHash32(''), 0xab3e7c0b);
    assert.deepEqual(
      ['pod-a', 'pod-b', 'pod-c', 'pod-d'].map((u) => pinEgressIP(u, ips)),
      GOLDEN,
    );
  });

  it('ignores the order of the set', () => {
    for (let i = 0; i < 200; i++) {
      const uid = `pod-${i}`;
      assert.equal(pinEgressIP(uid, ips), pinEgressIP(uid, [...ips].reverse()));
    }
  });

  it('spreads pods over the IPs', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const ip = pinEgressIP(`5f0c-${i}-uid`, ips);
      counts.set(ip, (counts.get(ip) ?? 0) + 1);
    }
    for (const ip of ips) assert.ok((counts.get(ip) ?? 0) > 800, `${ip}: ${counts.get(ip)}`);
  });
});

const GOLDEN = ['192.0.2.101', '192.0.2.101', '192.0.2.100', '192.0.2.102'];
