import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { signCryptoPayBody } from '../../fakes/cryptobot';

interface Vector {
  token: string;
  raw_body: string;
  signature: string;
}

const vectors = JSON.parse(readFileSync(path.join(__dirname, '../../vectors/signatures.json'), 'utf8')) as Record<string, Vector>;

describe('the fake Crypto Pay signs webhooks as Crypto Pay does', () => {
  for (const name of ['cryptopay_webhook', 'cryptopay_webhook_spaced']) {
    it(`when it signs the raw body of ${name}, then the signature is the vector's, byte for byte`, () => {
      const vector = vectors[name]!;
      expect(signCryptoPayBody(vector.token, vector.raw_body)).to.equal(vector.signature);
      expect(signCryptoPayBody(vector.token, Buffer.from(vector.raw_body, 'utf8'))).to.equal(vector.signature);
    });
  }

  it('when the same update is spaced differently, then its signature differs: it is over the bytes, not the JSON', () => {
    const plain = vectors.cryptopay_webhook!;
    const spaced = vectors.cryptopay_webhook_spaced!;
    expect(JSON.parse(spaced.raw_body)).to.deep.equal(JSON.parse(plain.raw_body));
    expect(signCryptoPayBody(plain.token, spaced.raw_body)).to.not.equal(plain.signature);
  });
});
