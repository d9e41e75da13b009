import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { paymentSuite, type PaymentSuite } from './payment-suite';

/** GET /payments and GET /payments/{id} (payment_read), and the bot's invoice route. */
describe('payment reads and the Telegram bot invoice', function () {
  this.timeout(30_000);
  let s: PaymentSuite;
  let planId: string;

  before(async () => {
    s = await paymentSuite();
    planId = await s.plan({ duration_days: 30 });
  });
  after(() => s.close());
  beforeEach(() => s.nextCase('payment'));

  const invoice = (userId: number) => s.t.http.post('/api/v1/payments/crypto/invoice').set(s.as.operator.bearer).send({ user_id: userId, plan_id: planId, asset: 'USDT' });
  const list = (query: string, as = s.as.operator) => s.t.http.get(`/api/v1/payments${query}`).set(as.bearer);

  it('when a payment is read by id, then our snake_case shape comes; unknown 404; not a UUID 422', async () => {
    const user = s.fake.seedUser();
    const made = await invoice(user.id);
    const res = await s.t.http.get(`/api/v1/payments/${made.body.payment_id}`).set(s.as.operator.bearer);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({
      id: made.body.payment_id,
      user_id: user.id,
      plan_id: planId,
      provider: 'cryptobot',
      invoice_id: made.body.invoice_id,
      amount: '4.99',
      currency: 'USDT',
      asset: 'USDT',
      status: 'pending',
      subscription_days: 30,
      payment_url: made.body.payment_url,
      expires_at: made.body.expires_at,
      paid_at: null,
      subscription_applied_at: null,
      created_by: s.as.operator.id,
    });
    expect(res.body).to.not.have.property('metadata');
    expect((await s.t.http.get(`/api/v1/payments/${randomUUID()}`).set(s.as.operator.bearer)).body).to.deep.equal({ detail: 'Payment not found' });
    expect((await s.t.http.get('/api/v1/payments/42').set(s.as.operator.bearer)).status).to.equal(422);
  });

  it('when payments are listed, then newest first, paginated with the true total, filtered by user, status and dates', async () => {
    const alice = s.fake.seedUser();
    const bob = s.fake.seedUser();
    const first = await invoice(alice.id);
    s.cryptoPay.failNext('server_error');
    await invoice(alice.id);
    const third = await invoice(bob.id);
    const all = await list('?page=1&page_size=2');
    expect(all.body.total).to.equal(3);
    expect(all.body.items).to.have.length(2);
    expect(all.body.items[0].id).to.equal(third.body.payment_id);
    expect(all.body).to.include({ page: 1, page_size: 2 });
    expect((await list('?page=2&page_size=2')).body.items[0].id).to.equal(first.body.payment_id);

    const ofAlice = await list(`?user_id=${alice.id}`);
    expect(ofAlice.body.total).to.equal(2);
    const failed = await list('?status=failed');
    expect(failed.body.items.map((p: { status: string; user_id: number }) => [p.status, p.user_id])).to.deep.equal([['failed', alice.id]]);
    expect((await list(`?user_id=${alice.id}&status=pending`)).body.total).to.equal(1);

    const row = await s.t.container.cradle.db('payments').where({ id: first.body.payment_id }).first();
    // PostgreSQL keeps microseconds, a JavaScript date milliseconds: the window spans that millisecond.
    const at = (row as { created_at: Date }).created_at;
    const window = `?from=${at.toISOString()}&to=${new Date(at.getTime() + 1).toISOString()}`;
    expect((await list(window)).body.items.map((p: { id: string }) => p.id)).to.deep.equal([first.body.payment_id]);
    expect((await list(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).body.total).to.equal(0);
  });

  it('when the list query is wrong (from after to, unknown status, bad user id), then 422', async () => {
    const res = await list('?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z');
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['query', 'to']);
    for (const query of ['?status=paid', '?user_id=abc', '?from=yesterday', '?page_size=101']) {
      expect((await list(query)).status, query).to.equal(422);
    }
  });

  it('permissions: payment_read (operator and up); viewer and support 403; no credentials 401', async () => {
    for (const who of [s.as.viewer, s.as.support]) {
      expect((await list('', who)).status).to.equal(403);
      expect((await s.t.http.get(`/api/v1/payments/${randomUUID()}`).set(who.bearer)).status).to.equal(403);
    }
    for (const who of [s.as.operator, s.as.admin, s.as.super_admin]) expect((await list('', who)).status).to.equal(200);
    expect((await s.t.http.get('/api/v1/payments')).status).to.equal(401);
  });

  describe('POST /telegram/users/{telegram_id}/invoice', () => {
    const botInvoice = (telegramId: number | string, body: Record<string, unknown>, as = s.as.operator) => s.t.http.post(`/api/v1/telegram/users/${telegramId}/invoice`).set(as.bearer).send(body);

    it('when the bot asks for a Telegram user, then the invoice is made for that VPN user, the same way', async () => {
      const user = s.fake.seedUser({ telegramId: 700_001 });
      const res = await botInvoice(700_001, { plan_id: planId, asset: 'USDT' });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ amount: '4.99', asset: 'USDT', status: 'pending' });
      expect(s.cryptoPay.invoice(res.body.invoice_id).payload).to.equal(`payment:${res.body.payment_id}`);
      const row = await s.t.container.cradle.db('payments').where({ id: res.body.payment_id }).first();
      expect(row).to.include({ user_id: String(user.id), status: 'pending' });
    });

    it('when the subscription has expired, then it is still 201, not 402: paying is how it is renewed', async () => {
      s.fake.seedUser({ telegramId: 700_002, status: 'EXPIRED', expireAt: new Date(Date.now() - 86_400_000).toISOString() });
      const res = await botInvoice(700_002, { plan_id: planId, asset: 'USDT' });
      expect(res.status).to.equal(201);
      // The config link, which uses the subscription, is the action that needs it active.
      expect((await s.t.http.get('/api/v1/telegram/users/700002/config').set(s.as.viewer.bearer)).status).to.equal(402);
    });

    it('when no VPN user has that Telegram id, or the plan is unknown, then 404; bad input 422', async () => {
      const noUser = await botInvoice(700_404, { plan_id: planId, asset: 'USDT' });
      expect(noUser.status).to.equal(404);
      expect(noUser.body).to.deep.equal({ detail: 'VPN user not found' });
      s.fake.seedUser({ telegramId: 700_003 });
      expect((await botInvoice(700_003, { plan_id: randomUUID(), asset: 'USDT' })).body).to.deep.equal({ detail: 'Plan not found' });
      expect((await botInvoice('abc', { plan_id: planId, asset: 'USDT' })).status).to.equal(422);
      expect((await botInvoice(700_003, { plan_id: planId })).status).to.equal(422);
      expect((await botInvoice(700_003, { plan_id: planId, asset: 'USDT', user_id: 5 })).status).to.equal(422);
      expect(s.cryptoPay.count('createInvoice')).to.equal(0);
    });

    it('when the bot retries with its Idempotency-Key, then the first answer comes again', async () => {
      s.fake.seedUser({ telegramId: 700_004 });
      const send = () => s.t.http.post('/api/v1/telegram/users/700004/invoice').set(s.as.operator.bearer).set('Idempotency-Key', 'bot-update-1').send({ plan_id: planId, asset: 'USDT' });
      const first = await send();
      const again = await send();
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(s.cryptoPay.count('createInvoice')).to.equal(1);
    });

    it('when Crypto Pay is down, then 502 and the row failed', async () => {
      s.fake.seedUser({ telegramId: 700_005 });
      s.cryptoPay.failNext('down');
      expect((await botInvoice(700_005, { plan_id: planId, asset: 'USDT' })).status).to.equal(502);
      expect((await s.t.container.cradle.db('payments').first())?.status).to.equal('failed');
    });

    it('permissions: subscription_create (operator and up); viewer and support 403', async () => {
      s.fake.seedUser({ telegramId: 700_006 });
      for (const who of [s.as.viewer, s.as.support]) expect((await botInvoice(700_006, { plan_id: planId, asset: 'USDT' }, who)).status).to.equal(403);
      expect((await botInvoice(700_006, { plan_id: planId, asset: 'USDT' }, s.as.admin)).status).to.equal(201);
    });
  });
});
