import { asValue } from 'awilix';
import { randomUUID } from 'node:crypto';
import { FakeCryptoPay } from '../../fakes/cryptobot';
import { FAST_CRYPTOPAY_RESILIENCE } from '../../integration/cryptobot/cryptopay-client';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

/** The real app against the fake panel and the fake Crypto Pay, with one admin per role. */
export interface PaymentSuite extends PanelSuite {
  cryptoPay: FakeCryptoPay;
  /** A plan made through the API (as an admin); returns its id. */
  plan(fields?: Record<string, unknown>): Promise<string>;
}

export async function paymentSuite(env: Record<string, string> = {}): Promise<PaymentSuite> {
  const cryptoPay = await new FakeCryptoPay().start();
  const s = await panelSuite({ ...cryptoPay.env(), ...env });
  s.t.container.register({ cryptoPayResilience: asValue(FAST_CRYPTOPAY_RESILIENCE) });
  const plan = async (fields: Record<string, unknown> = {}) => {
    const res = await s.t.http
      .post('/api/v1/plans')
      .set(s.as.admin.bearer)
      .send({ name: `Pro ${randomUUID().slice(0, 8)}`, tier: 'pro', duration_days: 30, price: 4.99, currency: 'USDT', ...fields });
    if (res.status !== 201) throw new Error(`plan not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  return {
    ...s,
    cryptoPay,
    plan,
    nextCase: async (...entityTypes) => {
      cryptoPay.reset();
      // The fake panel numbers its users from 1 again: payments of earlier cases would match them.
      await s.t.container.cradle.db('payment_idempotency_keys').del();
      await s.t.container.cradle.db('payments').del();
      // The fake Crypto Pay numbers invoices from the same id again: their webhook rows would be duplicates.
      await s.t.container.cradle.db('webhook_logs').del();
      await s.nextCase(...entityTypes);
    },
    close: async () => {
      await s.close();
      await cryptoPay.stop();
    },
  };
}
