import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jobScope } from '../../support/job-scope';
import { eventually } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { startWebhookWorker, stopWorker, FAST_WORKER_ENV } from '../webhooks/worker-process';
import { paymentSuite, type PaymentSuite } from './payment-suite';

const DAY_MS = 86_400_000;

/** "Paid but not provisioned" is never silent: failed with a reason, alerted, counted, retryable. */
describe('payments received but not provisioned', function () {
  this.timeout(120_000);
  let s: PaymentSuite;
  let server: http.Server;
  let webhookUrl: string;
  let plan: string;

  before(async () => {
    s = await paymentSuite(FAST_WORKER_ENV);
    server = http.createServer(s.t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/webhooks/cryptobot`;
    plan = await s.plan({ price: 4.99, currency: 'USDT', duration_days: 30 });
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await s.close();
  });
  beforeEach(async () => {
    await s.nextCase('payment');
    await s.t.container.cradle.db('notification_queue').del();
  });

  const payment = (id: string) => s.t.container.cradle.db('payments').where({ id }).first();
  async function invoiceFor(userId: number): Promise<{ payment_id: string; invoice_id: string }> {
    const res = await s.t.http.post('/api/v1/payments/crypto/invoice').set(s.as.operator.bearer).send({ user_id: userId, plan_id: plan, asset: 'USDT' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { payment_id: string; invoice_id: string };
  }

  it('when the panel keeps refusing past the last attempt, then the payment is failed, listed, audited and alerted; a retry once the panel is back applies it once', async () => {
    const worker: ApiProcess = startWebhookWorker({ ...s.fake.env(), ...s.cryptoPay.env() });
    try {
      const user = s.fake.seedUser({ telegramId: 4040 });
      const until = user.expireAt;
      const { payment_id, invoice_id } = await invoiceFor(user.id);
      s.fake.failPath(/^\/api\/users$/, 'server_error');

      expect((await s.cryptoPay.pay(invoice_id, { webhookUrl })).status).to.equal(200);
      const failed = await eventually(() => payment(payment_id), (row) => row.status === 'failed', { what: 'the payment failed', timeoutMs: 60_000 });
      expect(failed.paid_at).to.be.instanceOf(Date);
      expect(failed.metadata).to.deep.include({ error: 'provisioning_failed', reason: 'Upstream service unavailable' });

      const listed = await s.t.http.get('/api/v1/payments?status=failed').set(s.as.operator.bearer);
      expect(listed.body.items.map((p: { id: string }) => p.id)).to.deep.equal([payment_id]);
      expect(listed.body.items[0]).to.include({ failure_reason: 'provisioning_failed', status: 'failed' });
      const [alert] = await s.t.container.cradle.db('notification_queue').where({ to_admins: true });
      expect(alert.message).to.contain(payment_id).and.contain('received but not applied: Upstream service unavailable');
      expect((await s.auditOf('payment')).map((e) => e.action)).to.include('payment.failed');
      const [log] = await s.t.container.cradle.db('webhook_logs').where({ dedupe_key: invoice_id });
      expect(log).to.include({ status: 'failed', error_message: 'Upstream service unavailable' });

      s.fake.heal();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the breaker's half-open delay
      const retried = await s.t.http.post(`/api/v1/payments/${payment_id}/retry`).set(s.as.operator.bearer);
      expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
      expect(retried.body).to.include({ status: 'completed', failure_reason: null });
      expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(30 * DAY_MS);
      expect((await s.t.http.post(`/api/v1/payments/${payment_id}/retry`).set(s.as.operator.bearer)).status, 'a completed payment').to.equal(409);
    } finally {
      await stopWorker(worker);
    }
  });

  it('when the failure is recorded twice, then one alert and one count; a completed payment is never marked failed', async () => {
    const { metrics, db } = s.t.container.cradle;
    const user = s.fake.seedUser();
    const { payment_id, invoice_id } = await invoiceFor(user.id);
    const before = (await metrics.registry.getSingleMetric('payments_unprovisioned_total')!.get()).values[0]?.value ?? 0;
    const invoice = { provider: 'cryptobot' as const, invoiceId: invoice_id, paidAt: null };

    await jobScope(s.t.container).paymentSettlementService.recordUnprovisioned(invoice, 'Upstream service unavailable');
    await jobScope(s.t.container).paymentSettlementService.recordUnprovisioned(invoice, 'Upstream service unavailable');

    expect((await metrics.registry.getSingleMetric('payments_unprovisioned_total')!.get()).values[0]?.value).to.equal(before + 1);
    expect(await db('notification_queue').where({ to_admins: true })).to.have.length(1);
    expect(await jobScope(s.t.container).paymentSettlementService.settlePaidInvoice(invoice)).to.equal('completed');
    await jobScope(s.t.container).paymentSettlementService.recordUnprovisioned(invoice, 'late');
    expect((await payment(payment_id)).status).to.equal('completed');
    await jobScope(s.t.container).paymentSettlementService.recordUnprovisioned({ ...invoice, invoiceId: '1' }, 'not ours');
  });

  it('when a payment was never paid or is unknown, then the retry is 409 or 404, and support may not retry', async () => {
    const { payment_id } = await invoiceFor(s.fake.seedUser().id);
    expect((await s.t.http.post(`/api/v1/payments/${payment_id}/retry`).set(s.as.operator.bearer)).body).to.deep.equal({
      detail: 'Only a paid payment that failed to apply can be retried',
    });
    await s.t.container.cradle.db('payments').where({ id: payment_id }).update({ status: 'failed' });
    expect((await s.t.http.post(`/api/v1/payments/${payment_id}/retry`).set(s.as.operator.bearer)).status, 'failed but never paid').to.equal(409);
    expect((await s.t.http.post('/api/v1/payments/00000000-0000-4000-8000-000000000000/retry').set(s.as.operator.bearer)).status).to.equal(404);
    expect((await s.t.http.post(`/api/v1/payments/${payment_id}/retry`).set(s.as.support.bearer)).status).to.equal(403);
  });
});
