import assert from 'node:assert/strict';
import { LAB_BENCH_TOOLS, describeMissingTools } from './tools.js';

describe('bench tool check', () => {
  it('names each missing program and the packages that install it', () => {
    const has = (c: string): boolean => c !== 'ping' && c !== 'iperf3';
    assert.equal(describeMissingTools(LAB_BENCH_TOOLS, has), 'missing ping, iperf3: apt-get install -y iputils-ping iperf3');
  });
  it('says nothing when every program is there', () => {
    assert.equal(describeMissingTools(LAB_BENCH_TOOLS, () => true), undefined);
  });
});
