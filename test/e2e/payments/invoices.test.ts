import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Payment } from '../../../src/modules/payments/payments.repository';
import { paymentSuite, type PaymentSuite } from './payment-suite';

/** POST /payments/crypto/invoice: the pending row first, then the invoice, then its id on the row. */
describe('crypto invoices', function () {
  this.timeout(30_000);
  let s: PaymentSuite;
  let usdtPlan: string;

  before(async () => {
    s = await paymentSuite();
    usdtPlan = await s.plan({ price: 4.99, currency: 'USDT', duration_days: 30 });
  });
  after(() => s.close());
  beforeEach(() => s.nextCase('payment'));

  const invoice = (body: Record<string, unknown>, as = s.as.operator) => s.t.http.post('/api/v1/payments/crypto/invoice').set(as.bearer).send(body);
  const rows = () => s.t.container.cradle.db<Payment>('payments').orderBy('created_at');
  const rowsOfUser = (userId: number) => s.t.container.cradle.db<Payment>('payments').where({ user_id: String(userId) });

  it('when the plan is priced in the asset, then a crypto invoice is made for the pending payment, whose id it carries', async () => {
    const user = s.fake.seedUser();
    const res = await invoice({ user_id: user.id, plan_id: usdtPlan, asset: 'USDT' });
    expect(res.status).to.equal(201);
    const fakeInvoice = s.cryptoPay.invoice(res.body.invoice_id);
    expect(fakeInvoice).to.include({ currency_type: 'crypto', asset: 'USDT', amount: '4.99', payload: `payment:${res.body.payment_id}`, status: 'active' });
    expect(res.body).to.deep.equal({
      payment_id: res.body.payment_id,
      invoice_id: String(fakeInvoice.invoice_id),
      payment_url: fakeInvoice.bot_invoice_url,
      amount: '4.99',
      currency: 'USDT',
      asset: 'USDT',
      status: 'pending',
      expires_at: fakeInvoice.expiration_date,
    });
    // CRYPTOBOT_INVOICE_TTL defaults to one hour.
    expect(new Date(res.body.expires_at).getTime()).to.be.closeTo(Date.now() + 3_600_000, 60_000);
    const [row] = await rowsOfUser(user.id);
    expect(row).to.include({ id: res.body.payment_id, status: 'pending', external_invoice_id: res.body.invoice_id, payment_url: fakeInvoice.bot_invoice_url, plan_id: usdtPlan, asset: 'USDT', subscription_days: 30, created_by: s.as.operator.id });
    expect(Number(row?.amount)).to.equal(4.99);
    const audit = await s.auditOf('payment');
    expect(audit.map((entry) => entry.action)).to.deep.equal(['payment.invoice_created']);
    expect(audit[0]).to.include({ entity_id: res.body.payment_id, admin_id: s.as.operator.id });
  });

  it('when the plan is priced in a fiat currency, then a fiat invoice payable in the asked asset only', async () => {
    const usdPlan = await s.plan({ price: 9.5, currency: 'USD' });
    const user = s.fake.seedUser();
    const res = await invoice({ user_id: user.id, plan_id: usdPlan, asset: 'ton' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ amount: '9.5', currency: 'USD', asset: 'TON' });
    const sent = s.cryptoPay.requests.find((r) => r.apiMethod === 'createInvoice');
    expect(sent?.params).to.include({ currency_type: 'fiat', fiat: 'USD', accepted_assets: 'TON', amount: '9.50' });
    expect(s.cryptoPay.invoice(res.body.invoice_id)).to.deep.include({ fiat: 'USD', accepted_assets: ['TON'] });
    const payment = await s.t.http.get(`/api/v1/payments/${res.body.payment_id}`).set(s.as.operator.bearer);
    expect(payment.body).to.include({ amount: '9.5', currency: 'USD', asset: 'TON' });
  });

  it('when the plan is priced in another crypto asset or is free, then 422 and nothing is made', async () => {
    const tonPlan = await s.plan({ currency: 'TON' });
    const freePlan = await s.plan({ price: 0, currency: 'USDT' });
    const user = s.fake.seedUser();
    const wrongAsset = await invoice({ user_id: user.id, plan_id: tonPlan, asset: 'USDT' });
    expect(wrongAsset.status).to.equal(422);
    expect(wrongAsset.body.detail[0]).to.include({ msg: 'asset must be TON, the asset the plan is priced in' });
    expect(wrongAsset.body.detail[0].loc).to.deep.equal(['body', 'asset']);
    const free = await invoice({ user_id: user.id, plan_id: freePlan, asset: 'USDT' });
    expect(free.status).to.equal(422);
    expect(free.body.detail[0].loc).to.deep.equal(['body', 'plan_id']);
    expect(await rowsOfUser(user.id)).to.have.length(0);
    expect(s.cryptoPay.count('createInvoice')).to.equal(0);
  });

  it('when the user is not in the panel, or the plan is unknown or inactive, then 404 and nothing is made', async () => {
    const inactive = await s.plan({ is_active: false });
    const user = s.fake.seedUser();
    const noUser = await invoice({ user_id: 999_999, plan_id: usdtPlan, asset: 'USDT' });
    expect(noUser.status).to.equal(404);
    expect(noUser.body).to.deep.equal({ detail: 'User not found' });
    for (const planId of [randomUUID(), inactive]) {
      const noPlan = await invoice({ user_id: user.id, plan_id: planId, asset: 'USDT' });
      expect(noPlan.status).to.equal(404);
      expect(noPlan.body).to.deep.equal({ detail: 'Plan not found' });
    }
    expect(await rowsOfUser(user.id)).to.have.length(0);
    expect(s.cryptoPay.count('createInvoice')).to.equal(0);
  });

  it('when the panel is down, then 502 and nothing is made', async () => {
    s.fake.failAlways('server_error');
    const res = await invoice({ user_id: 1, plan_id: usdtPlan, asset: 'USDT' });
    expect(res.status).to.equal(502);
    expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
    expect(s.cryptoPay.count('createInvoice')).to.equal(0);
  });

  describe('when the invoice call fails, the row is left failed with our error code and the caller gets a safe answer', () => {
    const cases = [
      { fault: 'down' as const, status: 502, detail: 'Upstream service unavailable', code: 'upstream_unavailable' },
      { fault: 'server_error' as const, status: 502, detail: 'Upstream service unavailable', code: 'upstream_unavailable' },
      { fault: 'malformed' as const, status: 502, detail: 'Upstream service unavailable', code: 'upstream_unavailable' },
      { fault: 'bad_shape' as const, status: 502, detail: 'Upstream service unavailable', code: 'upstream_unavailable' },
      { fault: 'hang' as const, status: 504, detail: 'Upstream service unavailable', code: 'upstream_timeout' },
      { fault: { reject: 'AMOUNT_TOO_SMALL' }, status: 422, detail: 'The payment provider refused the amount', code: 'payment_rejected:amount' },
    ];
    for (const { fault, status, detail, code } of cases) {
      it(`when Crypto Pay fails with ${JSON.stringify(fault)}, then ${status} "${detail}"`, async () => {
        const user = s.fake.seedUser();
        s.cryptoPay.failNext(fault);
        const res = await invoice({ user_id: user.id, plan_id: usdtPlan, asset: 'USDT' });
        expect(res.status).to.equal(status);
        expect(res.body).to.deep.equal({ detail });
        const [row] = await rowsOfUser(user.id);
        expect(row).to.include({ status: 'failed', external_invoice_id: null, payment_url: null });
        expect(row?.metadata).to.include({ error: code });
        expect(s.cryptoPay.count('createInvoice')).to.equal(1);
        expect((await s.auditOf('payment')).map((entry) => entry.action)).to.deep.equal(['payment.invoice_failed']);
      });
    }

    it('when Crypto Pay does not know the asset, then 422 about the asset, its own words nowhere', async () => {
      const dogePlan = await s.plan({ currency: 'DOGE' });
      const user = s.fake.seedUser();
      const res = await invoice({ user_id: user.id, plan_id: dogePlan, asset: 'DOGE' });
      expect(res.status).to.equal(422);
      expect(res.body).to.deep.equal({ detail: 'The payment provider does not accept this asset' });
      expect(JSON.stringify(res.body)).to.not.include('ASSET_INVALID');
      expect((await rowsOfUser(user.id))[0]?.metadata).to.include({ error: 'payment_rejected:asset' });
    });
  });

  it('when the app token is wrong, then 502, an error log line, and the row failed', async () => {
    const wrong = await paymentSuite({ CRYPTOBOT_TOKEN: 'not-the-app-token' });
    try {
      const planId = await wrong.plan();
      const user = wrong.fake.seedUser();
      const res = await wrong.t.http.post('/api/v1/payments/crypto/invoice').set(wrong.as.operator.bearer).send({ user_id: user.id, plan_id: planId, asset: 'USDT' });
      expect(res.status).to.equal(502);
      expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
      expect(wrong.t.logs.entries.some((entry) => entry.level === 'error' && String(entry.message).includes('CRYPTOBOT_TOKEN'))).to.equal(true);
      expect(JSON.stringify(wrong.t.logs.entries)).to.not.include('not-the-app-token');
    } finally {
      await wrong.close();
    }
  });

  it('when the input is wrong, then 422 with where, never a 500, and nothing is made', async () => {
    const bodies = [
      {},
      { user_id: 'abc', plan_id: usdtPlan, asset: 'USDT' },
      { user_id: 0, plan_id: usdtPlan, asset: 'USDT' },
      { user_id: 1, plan_id: 'not-a-uuid', asset: 'USDT' },
      { user_id: 1, plan_id: usdtPlan, asset: 'US DT' },
      { user_id: 1, plan_id: usdtPlan, asset: 'X'.repeat(11) },
      { user_id: 1, plan_id: usdtPlan, asset: 'USDT', extra: true },
      { user_id: Number.MAX_SAFE_INTEGER + 2, plan_id: usdtPlan, asset: 'USDT' },
    ];
    for (const body of bodies) {
      const res = await invoice(body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.body.detail[0].loc[0]).to.equal('body');
    }
    expect(await rows()).to.have.length(0);
  });

  it('permissions: payment_create (operator, admin, super_admin); viewer and support 403; no credentials 401', async () => {
    const user = s.fake.seedUser();
    for (const who of [s.as.viewer, s.as.support]) {
      expect((await invoice({ user_id: user.id, plan_id: usdtPlan, asset: 'USDT' }, who)).status).to.equal(403);
    }
    expect((await s.t.http.post('/api/v1/payments/crypto/invoice').send({ user_id: user.id, plan_id: usdtPlan, asset: 'USDT' })).status).to.equal(401);
    for (const who of [s.as.operator, s.as.admin, s.as.super_admin]) {
      expect((await invoice({ user_id: user.id, plan_id: usdtPlan, asset: 'USDT' }, who)).status).to.equal(201);
    }
    expect(s.cryptoPay.count('createInvoice')).to.equal(3);
  });
});
