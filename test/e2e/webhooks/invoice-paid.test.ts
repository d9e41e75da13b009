import { expect } from 'chai';
import { FakeRemnawave } from '../../fakes/remnawave';
import { createTestApp, type TestApp } from '../../support/test-app';
import type { ApiProcess } from '../api-process';
import { eventually, postCryptoPay, webhookRows } from '../../support/webhooks';
import { FAST_WORKER_ENV, startWebhookWorker, stopWorker } from './worker-process';

const DAY_MS = 86_400_000;

/** Crypto Pay's invoice_paid update for one of our invoices, as its fake and the real service send it. */
function invoicePaid(invoiceId: string, updateId: number, spacing = ''): string {
  return `{"update_id":${spacing}${updateId},"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":${invoiceId},"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}`;
}

describe('invoice_paid end to end: intake -> webhook worker (child process) -> settlement in the fake panel', function () {
  this.timeout(120_000);
  let t: TestApp;
  let fake: FakeRemnawave;
  let planId: string;
  const workers: ApiProcess[] = [];
  const workerEnv = () => ({ ...fake.env(), OUTBOUND_TIMEOUT: '2s' });

  before(async () => {
    fake = await new FakeRemnawave().start();
    t = await createTestApp({ ...FAST_WORKER_ENV, ...fake.env() });
  });
  beforeEach(async () => {
    await t.reset();
    fake.reset();
    const [plan] = await t.container.cradle.db('subscription_plans').insert({ name: 'Pro', tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning<{ id: string }[]>('id');
    planId = plan!.id;
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await stopWorker(worker);
  });
  after(async () => {
    await t.close();
    await fake.stop();
  });

  async function pendingPayment(userId: number): Promise<{ id: string; invoiceId: string }> {
    const invoiceId = String(100_000 + Math.floor(Math.random() * 900_000_000));
    const [row] = await t.container.cradle.db('payments')
      .insert({ external_invoice_id: invoiceId, user_id: String(userId), plan_id: planId, amount: '4.99', asset: 'USDT', subscription_days: 30 })
      .returning<{ id: string }[]>('id');
    return { id: row!.id, invoiceId };
  }
  const payment = (id: string) => t.container.cradle.db('payments').where({ id }).first() as Promise<{ status: string; new_expire_at: Date | null }>;
  const processed = async (status = 'processed') =>
    eventually(() => webhookRows(t.container), (rows) => rows.length === 1 && rows[0]!.status === status, { what: `the webhook ${status}` });

  it('when the same paid invoice arrives 10 times at once (new update ids, other whitespace), then the expiry moves by the plan days once', async () => {
    const expireAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const user = fake.seedUser({ expireAt, telegramId: 777 });
    const { id, invoiceId } = await pendingPayment(user.id);
    workers.push(startWebhookWorker(workerEnv()));
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => postCryptoPay(t.http, invoicePaid(invoiceId, 900 + n, n % 2 ? ' ' : ''))));
    expect(answers.every((res) => res.status === 200)).to.equal(true);
    const [row] = await processed();
    expect(row!.attempts).to.equal(1);
    expect((await payment(id)).status).to.equal('completed');
    expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt)).to.equal(30 * DAY_MS);
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(1);
    expect(await t.container.cradle.db('notification_queue').where({ dedupe_key: `payment-completed:${id}` })).to.have.length(1);
  });

  it('when the invoice is not ours, then the row is ignored as an unknown invoice and the panel is untouched', async () => {
    workers.push(startWebhookWorker(workerEnv()));
    expect((await postCryptoPay(t.http, invoicePaid('31337', 1))).status).to.equal(200);
    const [row] = await processed('ignored');
    expect(row!.error_message).to.equal('Unknown invoice');
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(0);
  });

  it('when the worker is SIGKILLed after the panel applied the expiry and before our commit, then a second worker completes it and the expiry moved once', async () => {
    const expireAt = new Date(Date.now() + 5 * DAY_MS).toISOString();
    const user = fake.seedUser({ expireAt });
    const { id, invoiceId } = await pendingPayment(user.id);
    fake.failPath(/^\/api\/users$/, 'apply_then_hang');
    const first = startWebhookWorker(workerEnv());
    expect((await postCryptoPay(t.http, invoicePaid(invoiceId, 1))).status).to.equal(200);
    await eventually(async () => fake.count('PATCH', /^\/api\/users$/), (count) => count === 1, { what: 'the panel call' });
    first.child.kill('SIGKILL');
    expect(await first.exited).to.equal('SIGKILL');
    expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt)).to.equal(30 * DAY_MS);
    expect((await payment(id)).status).to.equal('pending');
    fake.heal();

    workers.push(startWebhookWorker(workerEnv()));
    await processed();
    expect((await payment(id)).status).to.equal('completed');
    expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt)).to.equal(30 * DAY_MS);
  });
});
