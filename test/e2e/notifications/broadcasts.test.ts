import { expect } from 'chai';
import { asValue } from 'awilix';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FakeTelegram } from '../../fakes/telegram';
import { FAST_RESILIENCE } from '../../integration/remnawave/panel-client';
import { signedInAdmin } from '../admins/helpers';
import { TEST_REDIS_PREFIX, testEnv } from '../../support/env';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { createTestApp, type TestApp } from '../../support/test-app';
import type { ApiProcess } from '../api-process';
import { eventually, startNotificationWorker, stopWorker, waitForWorkerStart } from './worker-process';

const DAY_MS = 86_400_000;

interface Progress { id: string; segment: string; status: string; total: number; sent: number; failed: number; cancelled: number; pending: number; skipped_no_telegram: number }

/**
 * Broadcasts resolved from the fake panel by the API (in-process), delivered by the notification
 * worker as a real child process to the fake Bot API.
 */
describe('broadcasts to VPN users', function () {
  this.timeout(180_000);
  const prefix = `${TEST_REDIS_PREFIX}broadcast-e2e:`;
  let telegram: FakeTelegram;
  let panel: FakeRemnawave;
  let t: TestApp;
  let support: Awaited<ReturnType<typeof signedInAdmin>>;
  let viewer: Awaited<ReturnType<typeof signedInAdmin>>;
  let worker: ApiProcess;
  let chat = 990_000;
  const nextChat = () => (chat += 1);
  const post = (body: Record<string, unknown>) => t.http.post('/api/v1/notifications/broadcasts').set(support.bearer).send(body);
  const progress = async (id: string) => (await t.http.get(`/api/v1/notifications/broadcasts/${id}`).set(viewer.bearer)).body as Progress;

  before(async () => {
    telegram = await new FakeTelegram().start();
    panel = await new FakeRemnawave().start();
    t = await createTestApp({ ...telegram.env(), ...panel.env(), REDIS_KEY_PREFIX: prefix, OUTBOUND_TIMEOUT: '1s' }, (container) => container.register({ remnawaveResilience: asValue(FAST_RESILIENCE) }));
    await t.reset();
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    support = await signedInAdmin(t, 'support');
    viewer = await signedInAdmin(t, 'viewer');
    worker = startNotificationWorker(testEnv({ ...telegram.env(), ...panel.env(), REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'info', TELEGRAM_CHAT_INTERVAL_MS: '0' }));
    await waitForWorkerStart(worker);
  });
  beforeEach(() => {
    panel.reset();
    telegram.reset();
  });
  after(async () => {
    await stopWorker(worker);
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    await t.close();
    await Promise.all([telegram.stop(), panel.stop()]);
  });

  it('when a broadcast goes to all active users, then each with a Telegram id gets it once, the rest are counted as skipped, and it is audited', async () => {
    const active = [nextChat(), nextChat(), nextChat()];
    for (const telegramId of active) panel.seedUser({ telegramId });
    panel.seedUser({ telegramId: null });
    const expired = nextChat();
    panel.seedUser({ telegramId: expired, status: 'EXPIRED', expireAt: new Date(Date.now() - DAY_MS).toISOString() });
    const res = await post({ segment: 'all_active', message: 'Maintenance <tonight>' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ segment: 'all_active', status: 'queued', total: 3, skipped_no_telegram: 1 });
    const done = await eventually('all sent', async () => {
      const now = await progress(res.body.id);
      return now.sent === 3 && now;
    });
    expect(done).to.include({ total: 3, sent: 3, failed: 0, cancelled: 0, pending: 0 });
    for (const telegramId of active) expect(telegram.messagesTo(telegramId).map((m) => m.text)).to.deep.equal(['Maintenance <tonight>']);
    expect(telegram.messagesTo(expired)).to.have.length(0);
    const audit = await t.container.cradle.db('audit_logs').where({ action: 'broadcast.created', entity_id: res.body.id });
    expect(audit).to.have.length(1);
    expect(audit[0].admin_id).to.equal(support.id);
  });

  it('when the segment is expired or expiring within N days, then only those users get it', async () => {
    const [soon, later, gone] = [nextChat(), nextChat(), nextChat()];
    panel.seedUser({ telegramId: soon, expireAt: new Date(Date.now() + 2 * DAY_MS).toISOString() });
    panel.seedUser({ telegramId: later, expireAt: new Date(Date.now() + 10 * DAY_MS).toISOString() });
    panel.seedUser({ telegramId: gone, status: 'EXPIRED', expireAt: new Date(Date.now() - DAY_MS).toISOString() });
    const expiring = await post({ segment: 'expiring_within_days:3', message: 'Renew soon' });
    const expired = await post({ segment: 'expired', message: 'Come back' });
    expect([expiring.body.total, expired.body.total]).to.deep.equal([1, 1]);
    await eventually('both sent', async () => (await progress(expiring.body.id)).sent === 1 && (await progress(expired.body.id)).sent === 1);
    expect(telegram.messagesTo(soon).map((m) => m.text)).to.deep.equal(['Renew soon']);
    expect(telegram.messagesTo(gone).map((m) => m.text)).to.deep.equal(['Come back']);
    expect(telegram.messagesTo(later)).to.have.length(0);
  });

  it('when a scheduled broadcast is cancelled, then none of it is sent, its rows count as cancelled, a second cancel is 409, and both are audited', async () => {
    const chats = [nextChat(), nextChat()];
    for (const telegramId of chats) panel.seedUser({ telegramId });
    const res = await post({ segment: 'all_active', message: 'Later', send_at: new Date(Date.now() + 3_000).toISOString() });
    expect(res.body).to.include({ total: 2, pending: 2 });
    const cancel = await t.http.delete(`/api/v1/notifications/broadcasts/${res.body.id}`).set(support.bearer);
    expect(cancel.status).to.equal(200);
    expect(cancel.body).to.include({ status: 'cancelled', total: 2, cancelled: 2, pending: 0, sent: 0 });
    const again = await t.http.delete(`/api/v1/notifications/broadcasts/${res.body.id}`).set(support.bearer);
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.equal({ detail: 'The broadcast is already cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    for (const telegramId of chats) expect(telegram.messagesTo(telegramId)).to.have.length(0);
    expect(await t.container.cradle.db('audit_logs').where({ action: 'broadcast.cancelled', entity_id: res.body.id })).to.have.length(1);
  });

  it('when a broadcast is cancelled while it is being sent, then what was sent stays sent, the rest is cancelled, and nothing more reaches Telegram', async () => {
    const chats = Array.from({ length: 120 }, () => nextChat());
    for (const telegramId of chats) panel.seedUser({ telegramId });
    const res = await post({ segment: 'all_active', message: 'Big news' });
    expect(res.body.total).to.equal(120);
    await eventually('some sent', async () => (await progress(res.body.id)).sent >= 5);
    const cancel = await t.http.delete(`/api/v1/notifications/broadcasts/${res.body.id}`).set(support.bearer);
    expect(cancel.status).to.equal(200);
    expect(cancel.body.cancelled).to.be.greaterThan(0);
    // Rows being sent at the cancel finish; then the count holds still.
    const settled = await eventually('no row pending', async () => {
      const now = await progress(res.body.id);
      return now.pending === 0 && now;
    });
    expect(settled.sent + settled.cancelled + settled.failed).to.equal(120);
    expect(settled.cancelled).to.be.greaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const delivered = chats.filter((telegramId) => telegram.messagesTo(telegramId).length > 0);
    expect(delivered).to.have.length(settled.sent);
  });

  it('when the request is wrong or the broadcast unknown, then 422, 403 or 404, never a 500', async () => {
    const bad = await post({ segment: 'expiring_within_days:0', message: 'x' });
    expect(bad.status).to.equal(422);
    expect(bad.body.detail[0].loc).to.deep.equal(['body', 'segment']);
    expect((await post({ segment: 'everyone', message: 'x' })).status).to.equal(422);
    expect((await post({ segment: 'all_active', message: '&'.repeat(1000) })).status).to.equal(422);
    expect((await t.http.post('/api/v1/notifications/broadcasts').set(viewer.bearer).send({ segment: 'all_active', message: 'x' })).status).to.equal(403);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.http.get(`/api/v1/notifications/broadcasts/${unknown}`).set(viewer.bearer)).status).to.equal(404);
    expect((await t.http.delete(`/api/v1/notifications/broadcasts/${unknown}`).set(support.bearer)).status).to.equal(404);
    expect((await t.http.get('/api/v1/notifications/broadcasts/nope').set(viewer.bearer)).status).to.equal(422);
  });
});
