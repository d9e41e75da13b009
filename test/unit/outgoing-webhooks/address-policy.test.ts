import { expect } from 'chai';
import { isPublicAddress } from '../../../src/modules/outgoing-webhooks/address-policy';

describe('outgoing webhooks: which addresses a delivery may reach', () => {
  const refused = [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc12::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ];
  const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.4.4'];

  for (const address of refused) {
    it(`when the address is ${address}, then it is refused`, () => {
      expect(isPublicAddress(address)).to.equal(false);
    });
  }
  for (const address of allowed) {
    it(`when the address is ${address}, then it is allowed`, () => {
      expect(isPublicAddress(address)).to.equal(true);
    });
  }
});
