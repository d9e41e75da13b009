import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptSecret } from '../../../src/shared/secrets';
import { eventually } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { Receiver } from '../outgoing-webhooks/receiver';
import { startWebhookWorker, stopWorker, FAST_WORKER_ENV } from '../webhooks/worker-process';
import { paymentSuite, type PaymentSuite } from './payment-suite';

const DAY_MS = 86_400_000;
/** The worker's reconciliation looks at pending payments after a second, every second. */
const RECONCILE_FAST = { PAYMENT_RECONCILE_AFTER: '1s', PAYMENT_RECONCILE_INTERVAL: '1s' };
const OUTGOING_FAST = { OUTGOING_WEBHOOK_ALLOW_PRIVATE: 'true', OUTGOING_WEBHOOK_ATTEMPTS: '3', OUTGOING_WEBHOOK_BACKOFF_MS: '200' };

/**
 * The whole path with every part real but the outside services: an invoice made over the API, paid
 * in the fake Crypto Pay, which signs and posts its webhook to the API as Crypto Pay does; the
 * webhook worker (a child process) applies it in the fake panel.
 */
describe('a paid invoice, end to end', function () {
  this.timeout(120_000);
  let s: PaymentSuite;
  let server: http.Server;
  let webhookUrl: string;
  let worker: ApiProcess;
  let receiver: Receiver;
  let plan: string;

  before(async () => {
    s = await paymentSuite({ ...FAST_WORKER_ENV, ...OUTGOING_FAST });
    server = http.createServer(s.t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/webhooks/cryptobot`;
    receiver = await new Receiver().start();
    worker = startWebhookWorker({ ...s.fake.env(), ...s.cryptoPay.env(), ...RECONCILE_FAST, ...OUTGOING_FAST });
    plan = await s.plan({ price: 4.99, currency: 'USDT', duration_days: 30 });
  });
  after(async () => {
    await stopWorker(worker);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await receiver.stop();
    await s.close();
  });
  beforeEach(() => s.nextCase('payment'));

  const payment = (id: string) => s.t.container.cradle.db('payments').where({ id }).first();
  const completed = (id: string) => eventually(() => payment(id), (row) => row.status === 'completed', { what: `payment ${id} completed`, timeoutMs: 60_000 });

  async function invoiceFor(userId: number): Promise<{ payment_id: string; invoice_id: string }> {
    const res = await s.t.http.post('/api/v1/payments/crypto/invoice').set(s.as.operator.bearer).send({ user_id: userId, plan_id: plan, asset: 'USDT' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { payment_id: string; invoice_id: string };
  }

  it('when Crypto Pay delivers the paid webhook, then the expiry moves by exactly the plan days, once, with one notification, however often it is re-sent', async () => {
    const user = s.fake.seedUser({ telegramId: 31337 });
    const until = user.expireAt;
    const { payment_id, invoice_id } = await invoiceFor(user.id);

    const delivery = await s.cryptoPay.pay(invoice_id, { webhookUrl });
    expect(delivery.status).to.equal(200);
    await completed(payment_id);
    // Crypto Pay re-sends: with the same update_id, another one, other whitespace; ten at once.
    const resent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.cryptoPay.resend(invoice_id, { webhookUrl, updateId: i % 2 === 0 ? undefined : 9000 + i, spaced: i % 3 === 0 })),
    );
    expect(resent.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(30 * DAY_MS);
    expect(s.fake.count('PATCH', /^\/api\/users$/)).to.equal(1);
    const row = await payment(payment_id);
    expect(row.subscription_applied_at).to.be.instanceOf(Date);
    const notes = await s.t.container.cradle.db('notification_queue').where({ dedupe_key: `payment-completed:${payment_id}` });
    expect(notes).to.have.length(1);
    expect(Number(notes[0].target_telegram_id)).to.equal(31337);
    const logs = await s.t.container.cradle.db('webhook_logs').where({ source: 'cryptobot', dedupe_key: invoice_id });
    expect(logs).to.have.length(1);
    expect(logs[0]).to.include({ status: 'processed', is_valid: true });
  });

  it('when two invoices of one user are paid at once, then both count', async () => {
    const user = s.fake.seedUser();
    const until = user.expireAt;
    const first = await invoiceFor(user.id);
    const second = await invoiceFor(user.id);

    await Promise.all([s.cryptoPay.pay(first.invoice_id, { webhookUrl }), s.cryptoPay.pay(second.invoice_id, { webhookUrl })]);
    await completed(first.payment_id);
    await completed(second.payment_id);

    expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(60 * DAY_MS);
  });

  it('when the webhook is dropped, then the worker\'s reconciliation finds the invoice paid and applies it once', async () => {
    const user = s.fake.seedUser();
    const until = user.expireAt;
    const { payment_id, invoice_id } = await invoiceFor(user.id);
    await s.cryptoPay.pay(invoice_id, { webhookUrl: 'http://127.0.0.1:9/dropped' }).catch(() => undefined);

    await completed(payment_id);
    expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(30 * DAY_MS);
    expect(s.cryptoPay.requests.some((r) => r.apiMethod === 'getInvoices')).to.equal(true);
    expect(await s.t.container.cradle.db('webhook_logs').where({ source: 'cryptobot', dedupe_key: invoice_id })).to.have.length(0);
  });

  it('when an operator endpoint subscribes to payment.completed, then the worker delivers it signed, retrying a failed attempt', async () => {
    const { db, config } = s.t.container.cradle;
    receiver.secret = 'whsec_end_to_end';
    receiver.answers = [500];
    const [endpoint] = (await db('outgoing_webhooks')
      .insert({ url: receiver.url, events: ['payment.completed'], secret_encrypted: encryptSecret(receiver.secret, config.dataEncryptionKey) })
      .returning('id')) as Array<{ id: string }>;
    const user = s.fake.seedUser();
    const { payment_id, invoice_id } = await invoiceFor(user.id);

    await s.cryptoPay.pay(invoice_id, { webhookUrl });
    await completed(payment_id);
    const [delivered] = await eventually(
      () => db('outgoing_webhook_deliveries').where({ endpoint_id: endpoint!.id }),
      (rows) => rows.length === 1 && rows[0].status === 'delivered',
      { what: 'the outgoing delivery', timeoutMs: 30_000 },
    );

    expect(delivered).to.include({ attempts: 2, last_status_code: 200 });
    expect(receiver.received).to.have.length(2);
    expect(receiver.received.every((r) => r.signatureValid)).to.equal(true);
    expect(JSON.parse(receiver.received[1]!.body).data).to.include({ payment_id });
    await db('outgoing_webhooks').del();
  });
});
