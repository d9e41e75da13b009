import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import vectors from '../../vectors/signatures.json';
import { isValidCryptoPaySignature, isValidRemnawaveSignature } from '../../../src/modules/webhooks/webhook-signatures';
import { classifyWebhook } from '../../../src/modules/webhooks/webhook-events';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('webhook signatures', () => {
  describe('Crypto Pay', () => {
    const { token, raw_body, signature } = vectors.cryptopay_webhook;

    it('when the published vector is checked over its raw bytes, then it is valid', () => {
      expect(isValidCryptoPaySignature(bytes(raw_body), signature, token)).to.equal(true);
    });

    it('when the header is in upper-case hex, then it is still valid', () => {
      expect(isValidCryptoPaySignature(bytes(raw_body), signature.toUpperCase(), token)).to.equal(true);
    });

    it('when the same update is sent with other whitespace, then its own signature is valid and the first one is not', () => {
      const spaced = vectors.cryptopay_webhook_spaced;
      expect(isValidCryptoPaySignature(bytes(spaced.raw_body), spaced.signature, spaced.token)).to.equal(true);
      expect(isValidCryptoPaySignature(bytes(spaced.raw_body), signature, token)).to.equal(false);
    });

    it('when the body is parsed and re-serialised, then the signature no longer matches', () => {
      const reserialised = JSON.stringify(JSON.parse(vectors.cryptopay_webhook_spaced.raw_body));
      expect(reserialised).to.not.equal(vectors.cryptopay_webhook_spaced.raw_body);
      expect(isValidCryptoPaySignature(bytes(reserialised), vectors.cryptopay_webhook_spaced.signature, token)).to.equal(false);
    });

    it('when the key is the token itself instead of its SHA-256, then the signature is refused', () => {
      const wrong = createHmac('sha256', token).update(raw_body).digest('hex');
      expect(isValidCryptoPaySignature(bytes(raw_body), wrong, token)).to.equal(false);
    });

    it('when the header is missing, empty, short, long or not hex, then it is invalid without throwing', () => {
      for (const header of [undefined, '', signature.slice(0, 63), `${signature}00`, `${signature.slice(0, 62)}zz`, 'x'.repeat(64)]) {
        expect(isValidCryptoPaySignature(bytes(raw_body), header, token), String(header)).to.equal(false);
      }
    });

    it('when another token is configured, then the signature is invalid', () => {
      expect(isValidCryptoPaySignature(bytes(raw_body), signature, `${token}x`)).to.equal(false);
    });
  });

  describe('Remnawave', () => {
    const { secret, raw_body, signature } = vectors.remnawave_webhook;

    it('when the published vector is checked over its raw bytes, then it is valid', () => {
      expect(isValidRemnawaveSignature(bytes(raw_body), signature, secret)).to.equal(true);
    });

    it('when one byte of the body changes, or it is re-serialised with spaces, then it is invalid', () => {
      expect(isValidRemnawaveSignature(bytes(raw_body.replace('42', '43')), signature, secret)).to.equal(false);
      expect(isValidRemnawaveSignature(bytes(JSON.stringify(JSON.parse(raw_body), null, 1)), signature, secret)).to.equal(false);
    });

    it('when the header is missing or malformed, then it is invalid', () => {
      expect(isValidRemnawaveSignature(bytes(raw_body), undefined, secret)).to.equal(false);
      expect(isValidRemnawaveSignature(bytes(raw_body), `sha256=${signature}`, secret)).to.equal(false);
    });
  });
});

describe('webhook classification', () => {
  it('when Crypto Pay sends invoice_paid, then the invoice id is the dedupe key (not update_id)', () => {
    expect(classifyWebhook('cryptobot', JSON.parse(vectors.cryptopay_webhook.raw_body))).to.deep.equal({ handled: true, eventType: 'invoice_paid', dedupeKey: '528890' });
  });

  it('when a Crypto Pay update is of another type or has no usable invoice id, then it is not handled', () => {
    expect(classifyWebhook('cryptobot', { update_type: 'invoice_expired', payload: { invoice_id: 1 } })).to.deep.equal({ handled: false, eventType: 'invoice_expired' });
    expect(classifyWebhook('cryptobot', { update_type: 'invoice_paid', payload: { invoice_id: 'a:b' } })).to.deep.equal({ handled: false, eventType: 'invoice_paid' });
    expect(classifyWebhook('cryptobot', { update_type: 'invoice_paid' })).to.deep.equal({ handled: false, eventType: 'invoice_paid' });
    expect(classifyWebhook('cryptobot', [1, 2])).to.deep.equal({ handled: false, eventType: null });
    expect(classifyWebhook('cryptobot', { update_type: 'x'.repeat(500) })).to.deep.equal({ handled: false, eventType: 'x'.repeat(100) });
  });

  it('when Remnawave sends a handled event, then event, entity and timestamp (and the reminder) are the key', () => {
    expect(classifyWebhook('remnawave', JSON.parse(vectors.remnawave_webhook.raw_body))).to.deep.equal({
      handled: true,
      eventType: 'user.expired',
      dedupeKey: 'user.expired:42:2026-11-28T12:00:00.000Z',
    });
    const reminder = { event: 'user.expiration', timestamp: '2026-11-28T12:00:00Z', data: { uuid: 'b3c1f1de-0000-4000-8000-000000000001' }, meta: { expiration: '72h' } };
    expect(classifyWebhook('remnawave', reminder)).to.deep.include({ dedupeKey: 'user.expiration:b3c1f1de-0000-4000-8000-000000000001:2026-11-28T12:00:00.000Z:72h' });
  });

  it('when a Remnawave event is unknown or lacks its entity or timestamp, then it is not handled', () => {
    expect(classifyWebhook('remnawave', { event: 'user.created', timestamp: '2026-11-28T12:00:00Z', data: { id: 1 } })).to.deep.equal({ handled: false, eventType: 'user.created' });
    expect(classifyWebhook('remnawave', { event: 'user.expired', timestamp: 'yesterday', data: { id: 1 } })).to.deep.equal({ handled: false, eventType: 'user.expired' });
    expect(classifyWebhook('remnawave', { event: 'user.expired', timestamp: '2026-11-28T12:00:00Z', data: null })).to.deep.equal({ handled: false, eventType: 'user.expired' });
    expect(classifyWebhook('remnawave', { event: 7 })).to.deep.equal({ handled: false, eventType: null });
  });
});
