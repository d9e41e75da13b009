import { expect } from 'chai';
import { asValue } from 'awilix';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../src/config';
import { dueThreshold } from '../../../src/modules/notifications/expiry-reminder.service';
import { expiryReminderKey } from '../../../src/modules/notifications/templates';
import type { WebhookLog } from '../../../src/modules/webhooks/webhook-logs.repository';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FAST_RESILIENCE } from '../remnawave/panel-client';
import { testEnv } from '../../support/env';
import { createTestApp, type TestApp } from '../../support/test-app';

const HOUR_MS = 3_600_000;

describe('expiry reminders at REMINDER_THRESHOLDS (in-process, fake panel, a fixed clock)', () => {
  let t: TestApp;
  let panel: FakeRemnawave;
  const db = () => t.container.cradle.db;
  /** A job scope whose clock reads `at`: the scan judges time left by it. */
  const scopeAt = (at: number) => {
    const scope = t.container.createScope();
    scope.register({ clock: asValue({ now: () => at }), requestContext: asValue({ requestId: `job-${randomUUID()}`, ip: 'worker', userAgent: undefined }) });
    return scope.cradle;
  };
  const keys = async () => (await db()('notification_queue').orderBy('created_at')).map((row: { dedupe_key: string }) => row.dedupe_key);

  before(async () => {
    panel = await new FakeRemnawave().start();
    t = await createTestApp({ ...panel.env(), OUTBOUND_TIMEOUT: '1s' }, (container) => container.register({ remnawaveResilience: asValue(FAST_RESILIENCE) }));
  });
  beforeEach(async () => {
    panel.reset();
    await t.reset();
  });
  after(async () => {
    await t.close();
    await panel.stop();
  });

  it('when the expiry comes closer, then one reminder at 72h and one at 24h, each once, and none after a renewal for the old date', async () => {
    const expiry = Date.now() + 100 * HOUR_MS;
    const expireAt = new Date(expiry).toISOString();
    const user = panel.seedUser({ expireAt, telegramId: 9201 });
    expect(await scopeAt(expiry - 100 * HOUR_MS).expiryReminderService.scan()).to.equal(0);
    expect(await scopeAt(expiry - 70 * HOUR_MS).expiryReminderService.scan()).to.equal(1);
    expect(await scopeAt(expiry - 50 * HOUR_MS).expiryReminderService.scan()).to.equal(0);
    expect(await scopeAt(expiry - 20 * HOUR_MS).expiryReminderService.scan()).to.equal(1);
    expect(await scopeAt(expiry - 10 * HOUR_MS).expiryReminderService.scan()).to.equal(0);
    expect(await keys()).to.deep.equal([expiryReminderKey(user.id, expireAt, '72h'), expiryReminderKey(user.id, expireAt, '24h')]);

    // Renewed by 30 days: nothing more for the old date; the new date has reminders of its own.
    const newExpiry = expiry + 30 * 24 * HOUR_MS;
    panel.user(user.id)!.expireAt = new Date(newExpiry).toISOString();
    expect(await scopeAt(expiry - 5 * HOUR_MS).expiryReminderService.scan()).to.equal(0);
    expect(await scopeAt(newExpiry - 20 * HOUR_MS).expiryReminderService.scan()).to.equal(1);
    expect((await keys()).slice(2)).to.deep.equal([expiryReminderKey(user.id, new Date(newExpiry), '24h')]);
  });

  it('when a trial (the panel description says so) nears its end, then its reminder announces the trial ending', async () => {
    const expireAt = new Date(Date.now() + 10 * HOUR_MS).toISOString();
    panel.seedUser({ expireAt, telegramId: 9301, username: 'tina', description: 'Trial, 3 days' });
    panel.seedUser({ expireAt, telegramId: 9302, username: 'paul', description: 'trialist friend' });
    expect(await scopeAt(Date.now()).expiryReminderService.scan()).to.equal(2);
    const rows = await db()('notification_queue').orderBy('target_telegram_id');
    expect(rows[0].message).to.contain('trial of <b>tina</b> ends');
    expect(rows[1].message).to.contain('subscription of <b>paul</b> expires');
  });

  it('when Remnawave\'s user.expiration event comes at 72h, then it is the scan\'s 72h reminder; an event without an expiry is an unexpected shape', async () => {
    const expireAt = new Date(Date.now() + 60 * HOUR_MS).toISOString();
    const event = (data: Record<string, unknown>): WebhookLog =>
      ({ id: randomUUID(), event_type: 'user.expiration', dedupe_key: randomUUID(), payload: { event: 'user.expiration', data, meta: { expiration: '72h' } } }) as unknown as WebhookLog;
    const handler = scopeAt(Date.now()).remnawaveEventHandler;
    const eve = panel.seedUser({ expireAt, telegramId: 9401, username: 'eve', description: 'trial' });
    const noChat = panel.seedUser({ expireAt, telegramId: null, username: 'no-chat' });
    expect(await handler.handle(event({ id: eve.id, username: 'eve', telegramId: '9401', expireAt, description: 'trial' }))).to.deep.equal({ ignored: false });
    expect(await handler.handle(event({ id: eve.id, username: 'eve', telegramId: 9401, expireAt }))).to.deep.equal({ ignored: false });
    expect(await handler.handle(event({ id: eve.id, username: 'no-date', telegramId: 9402 }))).to.deep.equal({ ignored: true, reason: 'Unexpected event shape' });
    expect(await handler.handle(event({ id: noChat.id, username: 'no-chat', telegramId: null, expireAt }))).to.deep.equal({ ignored: true, reason: 'The user has no Telegram id' });
    const rows = await db()('notification_queue');
    expect(rows.map((row: { dedupe_key: string }) => row.dedupe_key)).to.deep.equal([expiryReminderKey(eve.id, expireAt, '72h')]);
    expect(rows[0].message).to.contain('trial of <b>eve</b>');
  });

  it('when REMINDER_THRESHOLDS is set, then its thresholds are used tightest first, repeats dropped; an empty or bad list is refused', () => {
    const { reminderThresholds } = loadConfig(testEnv({ REMINDER_THRESHOLDS: '1d, 6h,48h,6h' })).notifications;
    expect(reminderThresholds).to.deep.equal([
      { label: '6h', ms: 6 * HOUR_MS },
      { label: '1d', ms: 24 * HOUR_MS },
      { label: '48h', ms: 48 * HOUR_MS },
    ]);
    expect(dueThreshold(reminderThresholds, 5 * HOUR_MS)?.label).to.equal('6h');
    expect(dueThreshold(reminderThresholds, 30 * HOUR_MS)?.label).to.equal('48h');
    expect(dueThreshold(reminderThresholds, 49 * HOUR_MS)).to.equal(undefined);
    expect(dueThreshold(reminderThresholds, -1)).to.equal(undefined);
    expect(() => loadConfig(testEnv({ REMINDER_THRESHOLDS: '' }))).to.throw(/REMINDER_THRESHOLDS/);
    expect(() => loadConfig(testEnv({ REMINDER_THRESHOLDS: '72h,soon' }))).to.throw(/REMINDER_THRESHOLDS/);
  });
});
