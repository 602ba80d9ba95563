import assert from 'node:assert/strict';
import {
  EGRESS_IPCONFIG_ANNOTATION, IPCONFIG_WRITER, IPCONFIG_WRITER_ANNOTATION, computeCloudCapacity, computeCloudPlacements, inCIDRs, parseEgressIPConfig,
} from './ipconfig.js';
import type { CloudInterface } from './provider.js';

const eni: CloudInterface = {
  node: 'n1', instance: 'i-1', interface: 'eni-1', subnet: '192.0.2.0/25', limit: 10, primary: '192.0.2.11', secondary: ['192.0.2.50', '192.0.2.100'],
};
const isEgressIP = inCIDRs(['192.0.2.96/27']);

describe('cloud ipconfig', () => {
  it('capacity: the limit less the primary and addresses that are not egress IPs', () => {
    assert.equal(computeCloudCapacity(eni, isEgressIP), 8);
    assert.equal(computeCloudCapacity({ ...eni, limit: 1 }, isEgressIP), 0);
  });

  it('publishes the OpenShift shape and marks it ours; rewrites only on change', () => {
    const { placements, annotations } = computeCloudPlacements([{ name: 'n1', annotations: {} }], new Map([['n1', eni]]), isEgressIP);
    assert.deepEqual(placements.get('n1'), { subnets: ['192.0.2.0/25'], capacity: 8 });
    assert.equal(annotations.length, 1);
    assert.deepEqual(JSON.parse(annotations[0]!.value), [{ interface: 'eni-1', ifaddr: { ipv4: '192.0.2.0/25' }, capacity: { ipv4: 8 } }]);
    const written = { [EGRESS_IPCONFIG_ANNOTATION]: annotations[0]!.value, [IPCONFIG_WRITER_ANNOTATION]: IPCONFIG_WRITER };
    assert.equal(computeCloudPlacements([{ name: 'n1', annotations: written }], new Map([['n1', eni]]), isEgressIP).annotations.length, 0);
  });

  it("honours another component's annotation: lower capacity wins, a different subnet holds nothing, never overwritten", () => {
    const theirs = (ipv4: string, cap: number) => ({ [EGRESS_IPCONFIG_ANNOTATION]: JSON.stringify([{ interface: 'eni-1', ifaddr: { ipv4 }, capacity: { ipv4: cap } }]) });
    const low = computeCloudPlacements([{ name: 'n1', annotations: theirs('192.0.2.0/25', 3) }], new Map([['n1', eni]]), isEgressIP);
    assert.deepEqual([low.placements.get('n1'), low.annotations], [{ subnets: ['192.0.2.0/25'], capacity: 3 }, []]);
    const other = computeCloudPlacements([{ name: 'n1', annotations: theirs('198.51.100.0/24', 30) }], new Map([['n1', eni]]), isEgressIP);
    assert.deepEqual(other.placements.get('n1'), { subnets: [], capacity: 8 });
  });

  it('parses the shape and rejects junk', () => {
    assert.equal(parseEgressIPConfig('nope'), undefined);
    assert.equal(parseEgressIPConfig('[{"interface":1}]'), undefined);
    assert.deepEqual(parseEgressIPConfig('[{"interface":"nic0","ifaddr":{"ipv4":"10.0.0.0/24"},"capacity":{"ip":5}}]')?.capacity, { ip: 5 });
  });
});
