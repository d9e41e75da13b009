import { expect } from 'chai';
import { asValue } from 'awilix';
import { randomUUID } from 'node:crypto';
import type { AppContainer } from '../../../src/container';
import type { DeliveryPolicy } from '../../../src/modules/notifications/delivery-policy';
import { backoffDelayMs } from '../../../src/modules/notifications/delivery-policy';
import { OUTCOME_UNKNOWN, TIMED_OUT } from '../../../src/modules/notifications/notification-delivery.service';
import { NotificationDispatcher, notificationJobId } from '../../../src/modules/notifications/notification-dispatcher';
import type { JobQueues } from '../../../src/infrastructure/queues/job-queues';
import type { Logger } from '../../../src/infrastructure/logger';
import { ServiceUnavailableError } from '../../../src/shared/errors';
import { NO_ADMIN_RECIPIENT, type NewNotification, type NotificationRow } from '../../../src/modules/notifications/notifications.repository';
import { FakeTelegram } from '../../fakes/telegram';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

const POLICY: DeliveryPolicy = { maxAttempts: 3, retryBaseDelayMs: 1000, retryMaxDelayMs: 8000, staleClaimMs: 5000, chatIntervalMs: 1000 };

/** A job's scope, as the notification worker gives one to each job. */
function jobScope(container: AppContainer) {
  const scope = container.createScope();
  scope.register({ requestContext: asValue({ requestId: `job-${randomUUID()}`, ip: 'worker', userAgent: undefined }) });
  return scope.cradle;
}

describe('notification delivery (the deliver job, in-process)', () => {
  let t: TestApp;
  let fake: FakeTelegram;
  let chat = 1000;
  const nextChat = () => (chat += 1);
  const deliver = (id: string) => jobScope(t.container).notificationDeliveryService.deliver(id);
  const row = async (id: string) => (await t.container.cradle.db<NotificationRow>('notification_queue').where({ id }).first())!;
  const insert = (fields: Partial<NewNotification> = {}) =>
    t.container.cradle.notificationRepository.insert({ target_telegram_id: nextChat(), message: '<b>hi</b>', ...fields });

  before(async () => {
    fake = await new FakeTelegram().start();
    t = await createTestApp({ ...fake.env(), OUTBOUND_TIMEOUT: '1s' }, (container) => container.register({ deliveryPolicy: asValue(POLICY) }));
    await t.reset();
  });
  beforeEach(() => fake.reset());
  after(async () => {
    await t.close();
    await fake.stop();
  });

  it('when a pending row is delivered, then Telegram gets it once and the row is sent with its message id', async () => {
    const { id, target_telegram_id } = await insert();
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'sent' });
    const sent = await row(id);
    expect(sent).to.include({ status: 'sent', attempts: 1, claim_id: sent.claim_id, error: null });
    expect(sent.sent_at).to.be.instanceOf(Date);
    expect(Number(sent.telegram_message_id)).to.equal(fake.delivered[0]!.messageId);
    expect(fake.messagesTo(Number(target_telegram_id))).to.have.length(1);
    // The same job again (a redelivery) sends nothing.
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'skipped' });
    expect(fake.delivered).to.have.length(1);
  });

  it('when the row is cancelled or missing, then nothing is sent', async () => {
    const { id } = await insert();
    await t.container.cradle.notificationRepository.cancel(id);
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'skipped' });
    expect(await deliver(randomUUID())).to.deep.equal({ kind: 'done', result: 'skipped' });
    expect(fake.attempts).to.have.length(0);
  });

  it('when send_at is ahead, then the job waits until exactly then and nothing is sent', async () => {
    const sendAt = new Date(Date.now() + 60_000);
    const { id } = await insert({ send_at: sendAt });
    expect(await deliver(id)).to.deep.equal({ kind: 'later', at: sendAt.getTime(), reason: 'scheduled' });
    expect(fake.attempts).to.have.length(0);
  });

  it('when a second message to the same chat comes within the interval, then it waits for the chat and goes later', async () => {
    const chatId = nextChat();
    const first = await insert({ target_telegram_id: chatId });
    const second = await insert({ target_telegram_id: chatId });
    expect((await deliver(first.id)).kind).to.equal('done');
    const outcome = await deliver(second.id);
    expect(outcome).to.include({ kind: 'later', reason: 'chat_pacing' });
    expect((outcome as { at: number }).at - Date.now()).to.be.within(1, 1000);
    expect((await row(second.id)).attempts).to.equal(0);
  });

  it('when Telegram answers 429, then the job waits exactly retry_after, the attempt is not counted, and the chat is held', async () => {
    const { id, target_telegram_id } = await insert();
    fake.floodChat(Number(target_telegram_id), 3);
    const before = Date.now();
    const outcome = await deliver(id);
    expect(outcome).to.include({ kind: 'later', reason: 'retry_after' });
    expect((outcome as { at: number }).at - before).to.be.within(3000, 3000 + (Date.now() - before));
    const waiting = await row(id);
    expect(waiting).to.include({ status: 'pending', attempts: 0, claim_id: null });
    expect(waiting.error).to.contain('retry after 3 s');
    const pttl = await t.container.cradle.redis.pttl(`${t.container.cradle.config.redis.keyPrefix}{notify}:chat:${target_telegram_id}`);
    expect(pttl).to.be.within(2000, 3000);
  });

  it('when the user blocked the bot, then the row is failed at once with Telegram\'s words, never retried', async () => {
    const { id, target_telegram_id } = await insert();
    fake.blockedChats.add(Number(target_telegram_id));
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'failed' });
    expect(await row(id)).to.include({ status: 'failed', attempts: 1, error: 'Telegram refused: Forbidden: bot was blocked by the user' });
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'skipped' });
    expect(fake.attempts).to.have.length(1);
  });

  it('when Telegram fails transiently, then the claim is given back with a growing backoff, and after the last attempt the row fails', async () => {
    const { id } = await insert();
    fake.failNext('server_error', 3);
    const first = await deliver(id);
    expect(first).to.include({ kind: 'later', reason: 'backoff' });
    expect(await row(id)).to.include({ status: 'pending', attempts: 1, claim_id: null });
    await t.container.cradle.redis.del(`${t.container.cradle.config.redis.keyPrefix}{notify}:chat:${(await row(id)).target_telegram_id}`);
    expect((await deliver(id)).kind).to.equal('later');
    await t.container.cradle.redis.del(`${t.container.cradle.config.redis.keyPrefix}{notify}:chat:${(await row(id)).target_telegram_id}`);
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'failed' });
    const failed = await row(id);
    expect(failed).to.include({ status: 'failed', attempts: 3 });
    expect(failed.error).to.match(/^Gave up after 3 attempts: Telegram: sendMessage answered HTTP 502/);
    expect(fake.delivered).to.have.length(0);
  });

  it('when the backoff is computed, then it doubles per attempt up to the ceiling, with jitter in its upper half', () => {
    expect(backoffDelayMs(POLICY, 1, () => 1)).to.equal(1000);
    expect(backoffDelayMs(POLICY, 2, () => 1)).to.equal(2000);
    expect(backoffDelayMs(POLICY, 3, () => 0)).to.equal(2000);
    expect(backoffDelayMs(POLICY, 10, () => 1)).to.equal(8000);
  });

  it('when Telegram does not answer in time, then the row fails and is not sent again (it may have arrived)', async () => {
    const { id } = await insert();
    fake.failNext('hang');
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'failed' });
    expect(await row(id)).to.include({ status: 'failed', error: TIMED_OUT });
  });

  it('when a claim is fresh, then the job waits for its holder; when it went stale, then the row fails as outcome unknown, never resent', async () => {
    const { id } = await insert();
    const claimedAt = new Date();
    await t.container.cradle.db('notification_queue').where({ id }).update({ claim_id: randomUUID(), claimed_at: claimedAt });
    expect(await deliver(id)).to.deep.equal({ kind: 'later', at: claimedAt.getTime() + POLICY.staleClaimMs, reason: 'claimed_elsewhere' });
    await t.container.cradle.db('notification_queue').where({ id }).update({ claimed_at: new Date(Date.now() - POLICY.staleClaimMs - 1000) });
    expect(await deliver(id)).to.deep.equal({ kind: 'done', result: 'failed' });
    expect(await row(id)).to.include({ status: 'failed', error: OUTCOME_UNKNOWN });
    expect(fake.attempts).to.have.length(0);
    // A cancel cannot take a row that is being sent.
    const busy = await insert();
    await t.container.cradle.db('notification_queue').where({ id: busy.id }).update({ claim_id: randomUUID(), claimed_at: new Date() });
    expect(await t.container.cradle.notificationRepository.cancel(busy.id)).to.equal(undefined);
  });

  it('when a message to the admins is delivered, then it becomes one row per active admin with a Telegram id, each with its job', async () => {
    await t.container.cradle.db('admin_users').del();
    const [a, b, inactive] = [await createAdmin(t.container), await createAdmin(t.container), await createAdmin(t.container, { is_active: false })];
    await createAdmin(t.container);
    await t.container.cradle.db('admin_users').where({ id: a.id }).update({ telegram_id: 501 });
    await t.container.cradle.db('admin_users').where({ id: b.id }).update({ telegram_id: 502 });
    await t.container.cradle.db('admin_users').where({ id: inactive.id }).update({ telegram_id: 503 });
    const parent = await t.container.cradle.notificationRepository.insert({ to_admins: true, message: 'node down' });
    expect(await deliver(parent.id)).to.deep.equal({ kind: 'done', result: 'fanned_out' });
    expect((await row(parent.id)).status).to.equal('sent');
    const children = await t.container.cradle.db<NotificationRow>('notification_queue').where({ parent_id: parent.id }).orderBy('target_telegram_id');
    expect(children.map((child) => Number(child.target_telegram_id))).to.deep.equal([501, 502]);
    for (const child of children) {
      const job = await t.container.cradle.jobQueues.queue('notifications').getJob(notificationJobId(child.id));
      expect(job?.data).to.deep.equal({ notificationId: child.id });
      expect(await deliver(child.id)).to.deep.equal({ kind: 'done', result: 'sent' });
    }
    expect(fake.delivered.map((message) => message.chatId).sort()).to.deep.equal([501, 502]);
    // Delivered again, the parent is done: no second set of rows.
    expect(await deliver(parent.id)).to.deep.equal({ kind: 'done', result: 'skipped' });
  });

  it('when no admin has a Telegram id, then the message to the admins fails with that reason', async () => {
    await t.container.cradle.db('admin_users').update({ telegram_id: null });
    const parent = await t.container.cradle.notificationRepository.insert({ to_admins: true, message: 'node down' });
    expect(await deliver(parent.id)).to.deep.equal({ kind: 'done', result: 'failed' });
    expect(await row(parent.id)).to.include({ status: 'failed', error: NO_ADMIN_RECIPIENT });
  });

  it('when the chat interval is 0, then the pacer never holds a chat', async () => {
    const pacer = t.container.cradle.chatPacer;
    expect(await pacer.take('424242', 0)).to.equal(0);
    expect(await pacer.take('424242', 0)).to.equal(0);
  });

  it('when the job cannot be added after the commit (Redis away), then the row stays pending for the sweep and the miss is logged', async () => {
    const warnings: unknown[] = [];
    const dispatcher = new NotificationDispatcher({
      jobQueues: { add: () => Promise.reject(new ServiceUnavailableError('queue')) } as unknown as JobQueues,
      logger: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger,
    });
    await dispatcher.dispatchOrLeave('00000000-0000-4000-8000-000000000009');
    expect(JSON.stringify(warnings)).to.contain('its pending row remains for the sweep').and.contain('00000000-0000-4000-8000-000000000009');
  });

  it('when many rows are dispatched at once (a broadcast), then their jobs go in bulk, and an add Redis refuses leaves the rest for the sweep', async () => {
    const ids = Array.from({ length: 1100 }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
    const bulks: number[] = [];
    const warnings: unknown[] = [];
    const dispatcher = new NotificationDispatcher({
      jobQueues: {
        addBulk: (_queue: string, jobs: unknown[]) => {
          bulks.push(jobs.length);
          return bulks.length < 3 ? Promise.resolve() : Promise.reject(new ServiceUnavailableError('queue'));
        },
      } as unknown as JobQueues,
      logger: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger,
    });
    await dispatcher.dispatchManyOrLeave(ids, null);
    expect(bulks).to.deep.equal([500, 500, 100]);
    expect(JSON.stringify(warnings)).to.contain('their pending rows remain for the sweep').and.contain('"notifications":100');
  });
});
