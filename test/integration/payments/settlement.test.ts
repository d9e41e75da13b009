import { expect } from 'chai';
import { asValue } from 'awilix';
import type { AppContainer } from '../../../src/container';
import { jobId } from '../../../src/infrastructure/queues/queue-names';
import { encryptSecret } from '../../../src/shared/secrets';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FAST_RESILIENCE } from '../remnawave/panel-client';
import { createTestApp, type TestApp } from '../../support/test-app';
import { jobScope } from '../../support/job-scope';

const DAY_MS = 86_400_000;

const settlement = (container: AppContainer) => jobScope(container).paymentSettlementService;

describe('payment settlement', () => {
  let t: TestApp;
  let fake: FakeRemnawave;
  let planId: string;

  async function pendingPayment(userId: number, days = 30): Promise<{ id: string; invoiceId: string }> {
    const invoiceId = String(100_000 + Math.floor(Math.random() * 900_000_000));
    const [row] = (await t.container.cradle
      .db('payments')
      .insert({ external_invoice_id: invoiceId, user_id: String(userId), plan_id: planId, amount: '4.99', asset: 'USDT', subscription_days: days })
      .returning('id')) as Array<{ id: string }>;
    return { id: row!.id, invoiceId };
  }
  const payment = (id: string) => t.container.cradle.db('payments').where({ id }).first();
  const notificationsOf = (paymentId: string) => t.container.cradle.db('notification_queue').where({ dedupe_key: `payment-completed:${paymentId}` });

  before(async () => {
    fake = await new FakeRemnawave().start();
    t = await createTestApp({ ...fake.env(), OUTBOUND_TIMEOUT: '1s' }, (container) => {
      container.register({ remnawaveResilience: asValue(FAST_RESILIENCE) });
    });
    await t.reset();
    const [plan] = (await t.container.cradle
      .db('subscription_plans')
      .insert({ name: 'Pro <30>', tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' })
      .returning('id')) as Array<{ id: string }>;
    planId = plan!.id;
  });
  beforeEach(async () => {
    // The fake numbers users from 1 again after a reset: no payment of an earlier case may share an id.
    fake.reset();
    await t.container.cradle.db('payments').del();
  });
  after(async () => {
    await t.close();
    await fake.stop();
  });

  it('when an invoice is paid, then the expiry moves by exactly the plan days, the payment completes and one notification is queued', async () => {
    const expireAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const user = fake.seedUser({ expireAt, telegramId: 424242 });
    const { id, invoiceId } = await pendingPayment(user.id);

    const outcome = await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: new Date('2026-11-28T12:00:00Z') });

    expect(outcome).to.equal('completed');
    expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt)).to.equal(30 * DAY_MS);
    const row = await payment(id);
    expect(row.status).to.equal('completed');
    expect(row.subscription_applied_at).to.be.instanceOf(Date);
    expect(row.new_expire_at.toISOString()).to.equal(fake.user(user.id)!.expireAt);
    expect(row.paid_at.toISOString()).to.equal('2026-11-28T12:00:00.000Z');
    const notifications = await notificationsOf(id);
    expect(notifications).to.have.length(1);
    expect(Number(notifications[0].target_telegram_id)).to.equal(424242);
    expect(notifications[0].message).to.contain('Pro &lt;30&gt;').and.contain(row.new_expire_at.toISOString().slice(0, 10));
    const job = await t.container.cradle.jobQueues.queue('notifications').getJob(jobId('notification', notifications[0].id));
    expect(job?.data).to.deep.equal({ notificationId: notifications[0].id });
    const audit = await t.container.cradle.db('audit_logs').where({ action: 'payment.completed', entity_id: id });
    expect(audit).to.have.length(1);
    expect(audit[0].request_id).to.match(/^job-/);
    expect(audit[0].admin_id).to.equal(null);
  });

  it('when the same invoice is settled ten times at once, then the expiry moves once and one notification exists', async () => {
    const user = fake.seedUser({ telegramId: 5151 });
    const before = Date.parse(user.expireAt);
    const { id, invoiceId } = await pendingPayment(user.id);

    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })),
    );

    expect(outcomes.filter((o) => o === 'completed')).to.have.length(1);
    expect(outcomes.filter((o) => o === 'already_completed')).to.have.length(9);
    expect(Date.parse(fake.user(user.id)!.expireAt) - before).to.equal(30 * DAY_MS);
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(1);
    expect(await notificationsOf(id)).to.have.length(1);
  });

  it('when an operator endpoint subscribes to payment.completed, then one signed delivery is recorded and queued per payment', async () => {
    const { db, config, jobQueues } = t.container.cradle;
    const [endpoint] = (await db('outgoing_webhooks')
      .insert({ url: 'https://billing.example/hook', events: ['payment.completed'], secret_encrypted: encryptSecret('whsec_x', config.dataEncryptionKey) })
      .returning('id')) as Array<{ id: string }>;
    const user = fake.seedUser();
    const { id, invoiceId } = await pendingPayment(user.id);

    await Promise.all([1, 2, 3].map(() => settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })));

    const deliveries = await db('outgoing_webhook_deliveries').where({ endpoint_id: endpoint!.id });
    expect(deliveries).to.have.length(1);
    const body = JSON.parse(deliveries[0].body);
    expect(body.event).to.equal('payment.completed');
    expect(body.data).to.deep.include({ payment_id: id, user_id: String(user.id), amount: '4.99000000', asset: 'USDT', subscription_days: 30 });
    const job = await jobQueues.queue('outgoing-webhooks').getJob(`delivery-${deliveries[0].id}`);
    expect(job?.data).to.deep.equal({ deliveryId: deliveries[0].id });
    await job?.remove();
    await db('outgoing_webhooks').del();
  });

  it('when two payments of one user are settled at once, then both count', async () => {
    const user = fake.seedUser();
    const before = Date.parse(user.expireAt);
    const first = await pendingPayment(user.id, 30);
    const second = await pendingPayment(user.id, 7);

    await Promise.all([
      settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId: first.invoiceId, paidAt: null }),
      settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId: second.invoiceId, paidAt: null }),
    ]);

    expect(Date.parse(fake.user(user.id)!.expireAt) - before).to.equal(37 * DAY_MS);
    expect((await payment(first.id)).status).to.equal('completed');
    expect((await payment(second.id)).status).to.equal('completed');
  });

  it('when the subscription has already expired, then the days count from now and the user is active again', async () => {
    const user = fake.seedUser({ expireAt: new Date(Date.now() - 5 * DAY_MS).toISOString(), status: 'EXPIRED' });
    const { invoiceId } = await pendingPayment(user.id);
    const startedAt = Date.now();

    await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null });

    const expiry = Date.parse(fake.user(user.id)!.expireAt);
    expect(expiry).to.be.within(startedAt + 30 * DAY_MS, Date.now() + 30 * DAY_MS);
    expect(fake.user(user.id)!.status).to.equal('ACTIVE');
  });

  it('when the panel refuses the update, then the expiry stays stored and a retry sets that same value once the panel is back', async () => {
    const user = fake.seedUser({ telegramId: 777 });
    const before = Date.parse(user.expireAt);
    const { id, invoiceId } = await pendingPayment(user.id);
    fake.failPath(/^\/api\/users$/, 'server_error');

    let failure: unknown;
    await settlement(t.container)
      .settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })
      .catch((error: unknown) => (failure = error));

    expect((failure as Error).name).to.match(/Upstream/);
    const stored = await payment(id);
    expect(stored.status).to.equal('pending');
    expect(stored.new_expire_at.getTime() - before).to.equal(30 * DAY_MS);
    expect(await notificationsOf(id)).to.have.length(0);

    fake.heal();
    expect(await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })).to.equal('completed');
    expect(Date.parse(fake.user(user.id)!.expireAt) - before).to.equal(30 * DAY_MS);
    expect(await notificationsOf(id)).to.have.length(1);
  });

  it('when a worker died after the panel call and before the commit, then the retry completes it without adding again', async () => {
    const user = fake.seedUser();
    const { id, invoiceId } = await pendingPayment(user.id);
    // The state such a death leaves: expiry stored and already in the panel, payment still pending.
    const target = new Date(Date.parse(user.expireAt) + 30 * DAY_MS);
    await t.container.cradle.db('payments').where({ id }).update({ new_expire_at: target });
    fake.user(user.id)!.expireAt = target.toISOString();

    expect(await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })).to.equal('completed');

    expect(fake.user(user.id)!.expireAt).to.equal(target.toISOString());
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(0);
    expect((await payment(id)).status).to.equal('completed');
  });

  it('when another payment of the user was interrupted before the panel call, then both still count', async () => {
    const user = fake.seedUser();
    const before = Date.parse(user.expireAt);
    const interrupted = await pendingPayment(user.id, 30);
    await t.container.cradle
      .db('payments')
      .where({ id: interrupted.id })
      .update({ new_expire_at: new Date(before + 30 * DAY_MS) });
    const next = await pendingPayment(user.id, 10);

    await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId: next.invoiceId, paidAt: null });
    const late = await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId: interrupted.invoiceId, paidAt: null });

    expect(late).to.equal('already_completed');
    expect(Date.parse(fake.user(user.id)!.expireAt) - before).to.equal(40 * DAY_MS);
    expect((await payment(interrupted.id)).status).to.equal('completed');
    expect((await payment(next.id)).status).to.equal('completed');
  });

  it('when an operator has already moved the expiry past the computed one, then settlement does not shorten it', async () => {
    const user = fake.seedUser();
    const { id, invoiceId } = await pendingPayment(user.id);
    await t.container.cradle.db('payments').where({ id }).update({ new_expire_at: new Date(Date.parse(user.expireAt) + DAY_MS) });
    const later = new Date(Date.parse(user.expireAt) + 365 * DAY_MS).toISOString();
    fake.user(user.id)!.expireAt = later;

    await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null });

    expect(fake.user(user.id)!.expireAt).to.equal(later);
  });

  it('when the invoice is not one of ours, then nothing happens', async () => {
    expect(await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId: '999999999999', paidAt: null })).to.equal('unknown_invoice');
    expect(fake.requests).to.have.length(0);
  });

  it('when the user has no Telegram id, then the payment completes without a notification', async () => {
    const user = fake.seedUser({ telegramId: null });
    const { id, invoiceId } = await pendingPayment(user.id);
    await settlement(t.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null });
    expect((await payment(id)).status).to.equal('completed');
    expect(await notificationsOf(id)).to.have.length(0);
  });

  describe('with Redis away', () => {
    let offline: TestApp;
    before(async () => {
      offline = await createTestApp({ ...fake.env(), REDIS_URL: 'redis://127.0.0.1:9/0', OUTBOUND_TIMEOUT: '1s' });
    });
    after(() => offline.close());

    it('when the notification job cannot be added, then the payment still completes and the pending row stays for the sweep', async () => {
      const user = fake.seedUser({ telegramId: 9090 });
      const { id, invoiceId } = await pendingPayment(user.id);

      expect(await settlement(offline.container).settlePaidInvoice({ provider: 'cryptobot', invoiceId, paidAt: null })).to.equal('completed');

      const [row] = await notificationsOf(id);
      expect(row.status).to.equal('pending');
      expect(offline.logs.entries.map((entry) => entry.message)).to.include('notification job not added; its pending row remains');
    });
  });
});
