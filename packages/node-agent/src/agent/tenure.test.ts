import assert from 'node:assert/strict';
import { flowsToKeep, withheldIPs } from './tenure.js';

const gw = (...ips: string[]) => ips.map((egressIP) => ({ egressIP }));
const st = (gateway: string[], addresses: string[]) => ({ gateway: gw(...gateway) as never, addresses });

describe('tenure: flows kept across the self-fence', () => {
  it('withheld: assigned here but not held', () => {
    assert.deepEqual([...withheldIPs(st(['192.0.2.100', '192.0.2.101'], ['192.0.2.101']))], ['192.0.2.100']);
  });
  it('fenced now, or fenced last pass and assigned here still: kept', () => {
    const held = st(['192.0.2.100'], ['192.0.2.100']);
    const fenced = st(['192.0.2.100'], []);
    assert.deepEqual([...flowsToKeep(held, fenced)], ['192.0.2.100'], 'the drop');
    assert.deepEqual([...flowsToKeep(fenced, held)], ['192.0.2.100'], 'the resume');
    assert.deepEqual([...flowsToKeep(held, held)], [], 'nothing withheld');
  });
  it('released while fenced (the API named another node): its flows go, and a later return is a new tenure', () => {
    const fenced = st(['192.0.2.100'], []);
    const released = st([], []);
    assert.deepEqual([...flowsToKeep(fenced, released)], []);
    assert.deepEqual([...flowsToKeep(released, st(['192.0.2.100'], ['192.0.2.100']))], []);
  });
});
