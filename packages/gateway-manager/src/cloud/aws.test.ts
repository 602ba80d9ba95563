import assert from 'node:assert/strict';
import { parseAwsProviderID, primaryInterfaceOf } from './aws.js';

describe('aws provider: pure parts', () => {
  it('reads the instance id from spec.providerID', () => {
    assert.equal(parseAwsProviderID('aws:///us-east-1a/i-0123456789abcdef0'), 'i-0123456789abcdef0');
    assert.equal(parseAwsProviderID('aws:////i-0abc'), 'i-0abc');
    assert.equal(parseAwsProviderID('gce://p/z/n'), undefined);
    assert.equal(parseAwsProviderID(undefined), undefined);
  });

  it('the primary ENI is device index 0; secondary addresses are the non-primary ones', () => {
    const p = primaryInterfaceOf({
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-b', SubnetId: 's-b', Attachment: { DeviceIndex: 1 }, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '192.0.2.200' }] },
        {
          NetworkInterfaceId: 'eni-a', SubnetId: 's-a', Attachment: { DeviceIndex: 0 },
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '192.0.2.11' }, { Primary: false, PrivateIpAddress: '192.0.2.100' }],
        },
      ],
    });
    assert.deepEqual(p, { eni: 'eni-a', subnetId: 's-a', primary: '192.0.2.11', secondary: ['192.0.2.100'] });
    assert.equal(primaryInterfaceOf({}), undefined);
  });
});
