import { signCryptoPayBody } from '../test/fakes/cryptobot';

/**
 * Crypto Pay `invoice_paid` updates as Crypto Pay sends them (the shape test/fakes/cryptobot.ts
 * delivers): one JSON body, signed in `crypto-pay-api-signature` over exactly the bytes sent.
 */
export const CRYPTO_PAY_PATH = '/api/v1/webhooks/cryptobot';

export interface SignedUpdate {
  body: string;
  headers: Record<string, string>;
}

let updateId = 10_000;

export function invoicePaid(token: string, invoiceId: number, paymentId?: string): SignedUpdate {
  updateId += 1;
  const now = new Date().toISOString();
  const body = JSON.stringify({
    update_id: updateId,
    update_type: 'invoice_paid',
    request_date: now,
    payload: {
      invoice_id: invoiceId,
      hash: `IV${invoiceId}`,
      currency_type: 'crypto',
      asset: 'USDT',
      amount: '4.99',
      bot_invoice_url: `https://t.me/CryptoTestnetBot?start=IV${invoiceId}`,
      status: 'paid',
      created_at: now,
      allow_comments: true,
      allow_anonymous: true,
      ...(paymentId ? { payload: `payment:${paymentId}` } : {}),
      paid_asset: 'USDT',
      paid_amount: '4.99',
      fee_asset: 'USDT',
      fee_amount: '0.03',
      paid_usd_rate: '1.00',
      paid_anonymously: false,
      paid_at: now,
    },
  });
  return { body, headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': signCryptoPayBody(token, body) } };
}
