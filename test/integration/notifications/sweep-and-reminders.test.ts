import { expect } from 'chai';
import { asValue } from 'awilix';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { queuePrefix } from '../../../src/infrastructure/queues/queue-names';
import { randomUUID } from 'node:crypto';
import type { AppContainer } from '../../../src/container';
import { notificationJobId } from '../../../src/modules/notifications/notification-dispatcher';
import { SWEEP_GRACE_MS } from '../../../src/modules/notifications/notification-sweep.service';
import { expiryReminderKey } from '../../../src/modules/notifications/templates';
import type { WebhookLog } from '../../../src/modules/webhooks/webhook-logs.repository';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FAST_RESILIENCE } from '../remnawave/panel-client';
import { createTestApp, type TestApp } from '../../support/test-app';

const DAY_MS = 86_400_000;

function jobScope(container: AppContainer) {
  const scope = container.createScope();
  scope.register({ requestContext: asValue({ requestId: `job-${randomUUID()}`, ip: 'worker', userAgent: undefined }) });
  return scope.cradle;
}

describe('notification sweep and expiry reminders (in-process)', () => {
  let t: TestApp;
  let panel: FakeRemnawave;
  const queue = () => t.container.cradle.jobQueues.queue('notifications');
  const db = () => t.container.cradle.db;

  before(async () => {
    panel = await new FakeRemnawave().start();
    t = await createTestApp({ ...panel.env(), OUTBOUND_TIMEOUT: '1s' }, (container) => container.register({ remnawaveResilience: asValue(FAST_RESILIENCE) }));
  });
  beforeEach(async () => {
    panel.reset();
    await db()('notification_queue').del();
    await queue().obliterate({ force: true });
  });
  after(async () => {
    await t.close();
    await panel.stop();
  });

  it('when pending rows lost their jobs (or their job finished without them), then the sweep queues them again, keeping send_at, and leaves young rows alone', async () => {
    const old = new Date(Date.now() - SWEEP_GRACE_MS - 5000);
    const sendAt = new Date(Date.now() + 3_600_000);
    const [lost, scheduled, young, queued, waiting] = (await db()('notification_queue')
      .insert([
        { target_telegram_id: 1, message: 'lost', created_at: old },
        { target_telegram_id: 2, message: 'scheduled', created_at: old, send_at: sendAt },
        { target_telegram_id: 3, message: 'young' },
        { target_telegram_id: 4, message: 'queued', created_at: old },
        { target_telegram_id: 5, message: 'waiting', created_at: old },
      ])
      .returning('id')) as Array<{ id: string }>;
    await db()('notification_queue').insert({ target_telegram_id: 6, message: 'sent', status: 'sent', created_at: old });
    await t.container.cradle.notificationDispatcher.dispatch(waiting!.id);
    await t.container.cradle.notificationDispatcher.dispatch(queued!.id, new Date(Date.now() + 3_600_000));

    expect(await jobScope(t.container).notificationSweepService.run()).to.equal(2);
    expect((await queue().getJob(notificationJobId(lost!.id)))?.data).to.deep.equal({ notificationId: lost!.id });
    const delayed = await queue().getJob(notificationJobId(scheduled!.id));
    expect(delayed!.opts.delay).to.be.within(3_500_000, 3_600_000);
    expect(await queue().getJob(notificationJobId(young!.id))).to.equal(undefined);
    // Already queued: left as it is (the same job, still delayed).
    expect(await (await queue().getJob(notificationJobId(queued!.id)))!.getState()).to.equal('delayed');
    expect(await (await queue().getJob(notificationJobId(waiting!.id)))!.getState()).to.equal('waiting');
    // A second run finds every job in place.
    expect(await jobScope(t.container).notificationSweepService.run()).to.equal(0);
  });

  it('when a row\'s job completed or failed without finishing the row, then the sweep replaces it', async () => {
    const old = new Date(Date.now() - SWEEP_GRACE_MS - 5000);
    const [stale] = (await db()('notification_queue').insert({ target_telegram_id: 7, message: 'x', created_at: old }).returning('id')) as Array<{ id: string }>;
    await t.container.cradle.notificationDispatcher.dispatch(stale!.id);
    // A worker whose job ended as failed (it died past the stall limit, say): the id stays taken.
    const connection = new Redis(t.container.cradle.config.redis.url, { maxRetriesPerRequest: null });
    const worker = new Worker('notifications', () => Promise.reject(new UnrecoverableError('worker died')), { connection, prefix: queuePrefix(t.container.cradle.config) });
    await new Promise((resolve) => worker.once('failed', resolve));
    await worker.close();
    connection.disconnect();
    expect(await (await queue().getJob(notificationJobId(stale!.id)))!.getState()).to.equal('failed');
    expect(await jobScope(t.container).notificationSweepService.run()).to.equal(1);
    expect(await (await queue().getJob(notificationJobId(stale!.id)))!.getState()).to.equal('waiting');
  });

  it('when the panel is scanned, then each active user with a Telegram id expiring within 72h gets one reminder for the tightest threshold reached, and a second scan adds none', async () => {
    const soon = new Date(Date.now() + 2 * DAY_MS).toISOString();
    const due = panel.seedUser({ expireAt: soon, telegramId: 9001 });
    panel.seedUser({ expireAt: new Date(Date.now() + 5 * DAY_MS).toISOString(), telegramId: 9002 });
    panel.seedUser({ expireAt: soon, telegramId: null });
    panel.seedUser({ expireAt: soon, telegramId: 9003, status: 'DISABLED' });
    panel.seedUser({ expireAt: new Date(Date.now() - DAY_MS).toISOString(), telegramId: 9004, status: 'EXPIRED' });
    for (let i = 0; i < 300; i += 1) panel.seedUser({ expireAt: new Date(Date.now() + 30 * DAY_MS).toISOString() });
    const late = panel.seedUser({ expireAt: new Date(Date.now() + DAY_MS).toISOString(), telegramId: 9005 });

    expect(await jobScope(t.container).expiryReminderService.scan()).to.equal(2);
    const reminders = await db()('notification_queue').orderBy('target_telegram_id');
    expect(reminders.map((r) => [Number(r.target_telegram_id), r.dedupe_key])).to.deep.equal([
      [9001, expiryReminderKey(due.id, soon, '72h')],
      [9005, expiryReminderKey(late.id, late.expireAt, '24h')],
    ]);
    expect(reminders[0].message).to.contain(soon.slice(0, 10));
    expect((await queue().getJob(notificationJobId(reminders[0].id)))?.name).to.equal('deliver');
    expect(await jobScope(t.container).expiryReminderService.scan()).to.equal(0);
    expect(await db()('notification_queue')).to.have.length(2);
  });

  it('when more pending rows lost their jobs than one page holds, then one run pages through all of them', async () => {
    const old = new Date(Date.now() - SWEEP_GRACE_MS - 5000);
    await db()('notification_queue').insert(Array.from({ length: 620 }, (_, i) => ({ target_telegram_id: 10_000 + i, message: 'lost', created_at: old })));
    expect(await jobScope(t.container).notificationSweepService.run()).to.equal(620);
    expect(await queue().getJobCountByTypes('waiting')).to.equal(620);
  });

  it('when Remnawave\'s user.expiration event came first (its 72h and 24h both inside 24h of the expiry), then one 24h reminder and the scan adds none', async () => {
    const expireAt = new Date(Date.now() + DAY_MS).toISOString();
    const user = panel.seedUser({ expireAt, telegramId: 9100, username: 'bob' });
    for (const [dedupe, expiration] of [['event-72h', '72h'], ['event-24h', '24h']]) {
      const log = {
        id: randomUUID(),
        event_type: 'user.expiration',
        dedupe_key: dedupe,
        payload: { event: 'user.expiration', data: { id: user.id, username: 'bob', telegramId: 9100, expireAt }, meta: { expiration } },
      } as unknown as WebhookLog;
      await jobScope(t.container).remnawaveEventHandler.handle(log);
    }
    expect(await jobScope(t.container).expiryReminderService.scan()).to.equal(0);
    const rows = await db()('notification_queue');
    expect(rows.map((r) => r.dedupe_key)).to.deep.equal([expiryReminderKey(user.id, expireAt, '24h')]);
    expect(rows[0].message).to.contain('bob');
  });

  it('when a user.expiration event is processed after the user renewed, then nothing reminds of the old date, and a user gone from the panel is ignored', async () => {
    const oldExpiry = new Date(Date.now() + DAY_MS).toISOString();
    const renewed = panel.seedUser({ expireAt: new Date(Date.now() + 30 * DAY_MS).toISOString(), telegramId: 9200, username: 'carol' });
    const eventOf = (id: number, dedupe: string) =>
      ({ id: randomUUID(), event_type: 'user.expiration', dedupe_key: dedupe, payload: { event: 'user.expiration', data: { id, username: 'carol', telegramId: 9200, expireAt: oldExpiry }, meta: { expiration: '24h' } } }) as unknown as WebhookLog;
    expect(await jobScope(t.container).remnawaveEventHandler.handle(eventOf(renewed.id, 'late-24h'))).to.deep.equal({ ignored: false });
    expect(await jobScope(t.container).remnawaveEventHandler.handle(eventOf(renewed.id + 1000, 'gone-24h'))).to.deep.equal({ ignored: true, reason: 'The user no longer exists in the panel' });
    expect(await db()('notification_queue')).to.deep.equal([]);
  });

  it('when the same expiry is given in two spellings, then the dedupe key is one', () => {
    expect(expiryReminderKey(5, '2026-12-01T00:00:00Z', '24h')).to.equal(expiryReminderKey('5', '2026-12-01T00:00:00.000Z', '24h'));
  });
});
