import { expect } from 'chai';
import { asValue } from 'awilix';
import { randomUUID } from 'node:crypto';
import { LIMITER_BURST } from '../../../src/modules/notifications/notification-jobs';
import { notificationJobId } from '../../../src/modules/notifications/notification-dispatcher';
import type { NotificationRow } from '../../../src/modules/notifications/notifications.repository';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FakeTelegram } from '../../fakes/telegram';
import { FAST_RESILIENCE } from '../../integration/remnawave/panel-client';
import { signedInAdmin } from '../admins/helpers';
import type { SignedIn } from '../../support/auth-helpers';
import { TEST_REDIS_PREFIX, testEnv } from '../../support/env';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { createTestApp, type TestApp } from '../../support/test-app';
import type { ApiProcess } from '../api-process';
import { eventually, startNotificationWorker, stopWorker, waitForWorkerStart } from './worker-process';
import { startWebhookWorker } from '../webhooks/worker-process';
import { nodeEvent, postCryptoPay, postRemnawave } from '../../support/webhooks';

const DAY_MS = 86_400_000;
const RATE = 30;
/** How far a delivery may lag behind its job's start on a loaded 2-core machine (database, Redis, HTTP). */
const JITTER_S = 0.25;

/** The most deliveries inside any window of `ms` milliseconds. */
function busiestWindow(times: number[], ms: number): number {
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while (times[i]! - times[j]! >= ms) j += 1;
    busiest = Math.max(busiest, i - j + 1);
  }
  return busiest;
}

/**
 * The notification worker as real OS processes (two of them) against one PostgreSQL, one Redis, a
 * fake Bot API and a fake panel. The test process is the producer: the API in-process (same
 * database and Redis prefix) and the payment settlement.
 */
describe('notification worker processes', function () {
  this.timeout(180_000);
  const prefix = `${TEST_REDIS_PREFIX}notify-e2e:`;
  let telegram: FakeTelegram;
  let panel: FakeRemnawave;
  let t: TestApp;
  let support: SignedIn;
  const workers: ApiProcess[] = [];
  let chat = 700_000;
  const nextChat = () => (chat += 1);
  const env = () =>
    testEnv({
      ...telegram.env(),
      ...panel.env(),
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      OUTBOUND_TIMEOUT: '2s',
      TELEGRAM_RATE_PER_SECOND: String(RATE),
      TELEGRAM_CHAT_INTERVAL_MS: '1000',
      NOTIFICATION_WORKER_CONCURRENCY: '8',
      EXPIRY_SCAN_INTERVAL: '1s',
    });
  const row = async (id: string) => (await t.container.cradle.db<NotificationRow>('notification_queue').where({ id }).first())!;
  const post = (body: Record<string, unknown>) => t.http.post('/api/v1/notifications').set(support.bearer).send(body);

  async function startWorker(): Promise<ApiProcess> {
    const worker = startNotificationWorker(env());
    workers.push(worker);
    await waitForWorkerStart(worker);
    return worker;
  }

  before(async () => {
    telegram = await new FakeTelegram().start();
    panel = await new FakeRemnawave().start();
    t = await createTestApp({ ...telegram.env(), ...panel.env(), REDIS_KEY_PREFIX: prefix, OUTBOUND_TIMEOUT: '1s' }, (container) =>
      container.register({ remnawaveResilience: asValue(FAST_RESILIENCE) }),
    );
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    await t.container.cradle.db('notification_queue').del();
    support = await signedInAdmin(t, 'support');
    await Promise.all([startWorker(), startWorker()]);
  });
  beforeEach(() => telegram.reset());
  after(async () => {
    await Promise.all(workers.map((worker) => stopWorker(worker)));
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    await t.close();
    await Promise.all([telegram.stop(), panel.stop()]);
  });

  it('when a message is scheduled, then it is sent at its time and not before', async () => {
    const chatId = nextChat();
    const sendAt = new Date(Date.now() + 2500);
    const created = await post({ telegram_id: chatId, message: 'scheduled', send_at: sendAt.toISOString() });
    expect(created.status).to.equal(201);
    const [message] = await eventually('the scheduled message', () => telegram.messagesTo(chatId).length > 0 && telegram.messagesTo(chatId));
    expect(message!.at).to.be.at.least(sendAt.getTime());
    expect(message!.text).to.equal('scheduled');
    await eventually('the row sent', async () => (await row(created.body.id)).status === 'sent');
    expect(Number((await row(created.body.id)).telegram_message_id)).to.equal(message!.messageId);
  });

  it('when a scheduled message is cancelled before its time, then it is never sent', async () => {
    const [cancelledChat, markerChat] = [nextChat(), nextChat()];
    const sendAt = Date.now() + 1500;
    const created = await post({ telegram_id: cancelledChat, message: 'never', send_at: new Date(sendAt).toISOString() });
    // Sent after the cancelled one was due: once it arrives, the cancelled one had its chance.
    await post({ telegram_id: markerChat, message: 'marker', send_at: new Date(sendAt + 1000).toISOString() });
    expect((await t.http.delete(`/api/v1/notifications/${created.body.id}`).set(support.bearer)).status).to.equal(204);
    await eventually('the marker', () => telegram.messagesTo(markerChat).length > 0);
    expect(telegram.attempts.filter((attempt) => attempt.chatId === cancelledChat)).to.have.length(0);
    expect((await row(created.body.id)).status).to.equal('cancelled');
  });

  it('when Telegram answers 429, then the message is sent again after retry_after, once, and the 429 is no failed attempt', async () => {
    const chatId = nextChat();
    telegram.floodChat(chatId, 2);
    const created = await post({ telegram_id: chatId, message: 'flooded' });
    await eventually('the delivery', () => telegram.messagesTo(chatId).length > 0);
    const attempts = telegram.attempts.filter((attempt) => attempt.chatId === chatId);
    expect(attempts.map((attempt) => attempt.status)).to.deep.equal([429, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).to.be.at.least(1900);
    const sent = await eventually('the row sent', async () => ((await row(created.body.id)).status === 'sent' ? row(created.body.id) : undefined));
    expect(sent.attempts).to.equal(1);
    expect(telegram.messagesTo(chatId)).to.have.length(1);
  });

  it('when the user blocked the bot, then the row is failed with no retries', async () => {
    const [blocked, marker] = [nextChat(), nextChat()];
    telegram.blockedChats.add(blocked);
    const created = await post({ telegram_id: blocked, message: 'blocked' });
    const failed = await eventually('the row failed', async () => ((await row(created.body.id)).status === 'failed' ? row(created.body.id) : undefined));
    expect(failed).to.include({ attempts: 1, error: 'Telegram refused: Forbidden: bot was blocked by the user' });
    // Time for a retry, had there been one: a later message goes through first.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await post({ telegram_id: marker, message: 'marker' });
    await eventually('the marker', () => telegram.messagesTo(marker).length > 0);
    expect(telegram.attempts.filter((attempt) => attempt.chatId === blocked)).to.have.length(1);
  });

  it(`when 200 messages are queued at once, then two workers deliver them all, never faster than ${RATE}/s`, async () => {
    const ids: string[] = [];
    const rows = Array.from({ length: 200 }, () => ({ target_telegram_id: nextChat(), message: 'bulk' }));
    for (const inserted of (await t.container.cradle.db('notification_queue').insert(rows).returning('id')) as Array<{ id: string }>) ids.push(inserted.id);
    // One command for all 200 (the jobs the dispatcher adds): 200 adds at once on a loaded machine
    // could outlast the request-path connection's command timeout.
    await t.container.cradle.jobQueues.queue('notifications').addBulk(ids.map((id) => ({ name: 'deliver', data: { notificationId: id }, opts: { jobId: notificationJobId(id) } })));
    await eventually('200 deliveries', () => telegram.delivered.length >= 200, 120_000);
    const times = telegram.delivered.map((message) => message.at).sort((a, b) => a - b);
    expect(telegram.delivered).to.have.length(200);
    expect(new Set(telegram.delivered.map((message) => message.chatId)).size).to.equal(200);
    // The limiter lets LIMITER_BURST job starts through per LIMITER_BURST * 1000 / RATE ms, kept in
    // Redis. Telegram (the fake) sees each message after the start's database and HTTP round trips,
    // which vary on this loaded machine: a window of w seconds may gain what the rate sends in that
    // jitter (allowed: JITTER_S), and never more. Over the whole run the rate holds exactly.
    const spanS = (times[times.length - 1]! - times[0]!) / 1000;
    expect(times.length, 'the whole run').to.be.at.most(Math.floor(RATE * (spanS + JITTER_S)) + LIMITER_BURST);
    expect(times.length / spanS, 'the average rate').to.be.at.most(RATE * 1.05);
    for (const seconds of [1, 3]) {
      expect(busiestWindow(times, seconds * 1000), `${seconds} s`).to.be.at.most(Math.floor(RATE * (seconds + JITTER_S)) + LIMITER_BURST);
    }
    // The last rows are marked sent a moment after Telegram saw them: wait for the record to catch up.
    const sent = () => t.container.cradle.db('notification_queue').whereIn('id', ids).where({ status: 'sent' }).count({ count: '*' });
    await eventually('200 rows sent', async () => Number((await sent())[0]!.count) === 200, 30_000);
  });

  it('when two workers scan the panel every second and one restarts in between, then the expiry reminder is sent once', async () => {
    const telegramId = nextChat();
    const user = panel.seedUser({ expireAt: new Date(Date.now() + 2 * DAY_MS).toISOString(), telegramId });
    await eventually('the reminder', () => telegram.messagesTo(telegramId).length > 0);
    const [first] = workers.splice(0, 1);
    expect(await stopWorker(first!)).to.equal(0);
    await startWorker();
    // Several scans by both workers after the restart.
    const scansBefore = panel.count('GET', /^\/api\/users\/stream/);
    await eventually('four more scans', () => panel.count('GET', /^\/api\/users\/stream/) >= scansBefore + 4);
    expect(telegram.messagesTo(telegramId)).to.have.length(1);
    expect(telegram.messagesTo(telegramId)[0]!.text).to.contain(user.expireAt.slice(0, 10));
    expect(await t.container.cradle.db('notification_queue').where({ target_telegram_id: telegramId })).to.have.length(1);
  });

  it('when a paid invoice arrives twice at the API, then the webhook worker settles it once and its notification arrives once', async () => {
    const telegramId = nextChat();
    const user = panel.seedUser({ expireAt: new Date(Date.now() + 10 * DAY_MS).toISOString(), telegramId });
    const [plan] = (await t.container.cradle.db('subscription_plans').insert({ name: `Pro ${randomUUID().slice(0, 8)}`, tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning('id')) as Array<{ id: string }>;
    const invoiceId = String(100_000 + Math.floor(Math.random() * 900_000_000));
    const [payment] = (await t.container.cradle.db('payments')
      .insert({ external_invoice_id: invoiceId, user_id: String(user.id), plan_id: plan!.id, amount: '4.99', asset: 'USDT', subscription_days: 30 })
      .returning('id')) as Array<{ id: string }>;
    const webhookWorker = startWebhookWorker({ ...panel.env(), REDIS_KEY_PREFIX: prefix, OUTBOUND_TIMEOUT: '2s' });
    try {
      // Crypto Pay's update_id is not unique: the same payment in two updates.
      for (const updateId of [1, 2]) {
        const raw = `{"update_id":${updateId},"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":${invoiceId},"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}`;
        expect((await postCryptoPay(t.http, raw)).status).to.equal(200);
      }
      await eventually('the payment notification', () => telegram.messagesTo(telegramId).length > 0);
      await eventually('the payment completed', async () => (await t.container.cradle.db('payments').where({ id: payment!.id }).first()).status === 'completed');
      const [notification] = await t.container.cradle.db('notification_queue').where({ dedupe_key: `payment-completed:${payment!.id}` });
      await eventually('the row sent', async () => (await row(notification.id)).status === 'sent');
      // The job added again (a redelivered webhook would): still one message.
      await t.container.cradle.notificationDispatcher.dispatch(notification.id);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(telegram.messagesTo(telegramId)).to.have.length(1);
      expect(telegram.messagesTo(telegramId)[0]!.text).to.contain('Payment received');
    } finally {
      await stopWorker(webhookWorker);
    }
  });

  it('when Remnawave reports a node lost, then the webhook worker\'s alert window sends one row to the admins that reaches each active admin with a Telegram id once', async () => {
    const [a, b] = [await signedInAdmin(t, 'admin'), await signedInAdmin(t, 'operator')];
    const [chatA, chatB] = [nextChat(), nextChat()];
    await t.container.cradle.db('admin_users').where({ id: a.id }).update({ telegram_id: chatA });
    await t.container.cradle.db('admin_users').where({ id: b.id }).update({ telegram_id: chatB });
    const webhookWorker = startWebhookWorker({ ...panel.env(), REDIS_KEY_PREFIX: prefix, NODE_ALERT_WINDOW: '1s' });
    try {
      expect((await postRemnawave(t.http, nodeEvent('node.connection_lost', 'de-<1>'))).status).to.equal(200);
      await eventually('both admins told', () => telegram.messagesTo(chatA).length > 0 && telegram.messagesTo(chatB).length > 0);
      expect(telegram.messagesTo(chatA)[0]!.text).to.contain('Down (1): de-<1>');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect([telegram.messagesTo(chatA).length, telegram.messagesTo(chatB).length]).to.deep.equal([1, 1]);
    } finally {
      await stopWorker(webhookWorker);
      await t.container.cradle.db('admin_users').whereIn('id', [a.id, b.id]).update({ telegram_id: null });
    }
  });
});
