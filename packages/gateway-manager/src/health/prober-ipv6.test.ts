// Issue 11: a node without an IPv4 InternalIP is probed on its IPv6 one, bracketed in the URL.
import assert from 'node:assert/strict';
import { FakeClock } from '@static-egress/controller-kit';
import { parseNode } from '@static-egress/crds';
import { computeProbeTargets } from '../controller/pass.js';
import { NodeProber, type ProbeFetch } from './prober.js';

describe('probing over IPv6 (issue 11)', () => {
  const node = (name: string, addresses: string[]) => parseNode({
    metadata: { name },
    status: { addresses: addresses.map((address) => ({ type: 'InternalIP', address })), conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const nodes = [node('v6only', ['2001:db8::11']), node('dual', ['2001:db8::12', '192.0.2.12']), node('none', [])];
  const pools = [{ name: 'p', cidrs: [], maxIPsPerNode: 8 }];

  it('targets the IPv4 InternalIP when there is one, else the IPv6 one; a node without any is not probed', () => {
    assert.deepEqual(computeProbeTargets({ nodes, pools }, { releasing: new Map(), previous: new Map() }), [
      { node: 'v6only', address: '2001:db8::11' }, { node: 'dual', address: '192.0.2.12' },
    ]);
  });

  it('brackets an IPv6 address in the probe URL and reads its answer', async () => {
    const clock = new FakeClock();
    const urls: string[] = [];
    const fetch: ProbeFetch = (url) => {
      urls.push(url);
      return Promise.resolve({ ok: url === 'http://[2001:db8::11]:9310/healthz' });
    };
    const changes: string[] = [];
    const prober = new NodeProber({
      clock, fetch, port: 9310, intervalMs: 100, timeoutMs: 200, failureThreshold: 3, onChange: (n, healthy) => changes.push(`${n}=${healthy}`),
    });
    prober.setTargets([{ node: 'v6only', address: '2001:db8::11' }]);
    await clock.advanceAsync(0);
    assert.deepEqual(urls, ['http://[2001:db8::11]:9310/healthz']);
    assert.deepEqual(changes, ['v6only=true']);
    prober.stop();
  });
});
