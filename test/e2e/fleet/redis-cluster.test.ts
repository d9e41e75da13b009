import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FakeTelegram } from '../../fakes/telegram';
import { createAdmin, DEFAULT_PASSWORD } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';
import { eventually, postCryptoPay } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { startNotificationWorker } from '../notifications/worker-process';
import { startWebhookWorker, stopWorker } from '../webhooks/worker-process';
import { testEnv } from '../../support/env';
import { startRedisCluster, type LocalRedisCluster } from './redis-cluster';

const AUTH_MAX = 3;

describe('a Redis Cluster (REDIS_CLUSTER_NODES): the API and a worker process against 3 masters', function () {
  this.timeout(180_000);
  let cluster: LocalRedisCluster;
  let fake: FakeRemnawave;
  let telegram: FakeTelegram;
  let t: TestApp;
  const workers: ApiProcess[] = [];

  before(async () => {
    cluster = await startRedisCluster();
    fake = await new FakeRemnawave().start();
    telegram = await new FakeTelegram().start();
    const env = { ...fake.env(), ...telegram.env(), REDIS_CLUSTER_NODES: cluster.nodes, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_MAX: String(AUTH_MAX), RATE_LIMIT_GLOBAL_MAX: '1000' };
    t = await createTestApp(env);
    await t.reset();
    workers.push(startWebhookWorker({ ...env, OUTBOUND_TIMEOUT: '2s' }));
    workers.push(startNotificationWorker(testEnv({ ...env, OUTBOUND_TIMEOUT: '2s', LOG_LEVEL: 'info', EXPIRY_SCAN_INTERVAL: '1s' })));
  });
  after(async () => {
    await Promise.all(workers.map((worker) => stopWorker(worker)));
    await t?.close();
    await fake?.stop();
    await telegram?.stop();
    await cluster?.stop();
  });

  it('when the API runs on a Cluster, then its request-path client is a Cluster client and the API reports ready', async () => {
    expect(t.container.cradle.redis).to.be.instanceOf(Cluster);
    expect((await t.http.get('/ready')).status).to.equal(200);
  });

  it('when an admin signs in, fails and is throttled, then the login throttle scripts and the auth limiter work across the masters', async () => {
    const admin = await createAdmin(t.container);
    const good = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: DEFAULT_PASSWORD });
    expect(good.status).to.equal(200);
    expect(good.body.access_token).to.be.a('string');
    const wrong = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: 'not-the-password' });
    expect(wrong.status).to.equal(401);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < AUTH_MAX + 1; attempt += 1) {
      statuses.push((await t.http.post('/api/v1/auth/login').send({ login_or_email: 'nobody', password: 'not-the-password' })).status);
    }
    expect(statuses).to.include(429);
  });

  it('when Crypto Pay reports an invoice paid, then the worker process on the Cluster applies the payment', async () => {
    const db = t.container.cradle.db;
    const [plan] = await db('subscription_plans').insert({ name: 'Pro', tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning<{ id: string }[]>('id');
    const user = fake.seedUser({ expireAt: new Date(Date.now() + 86_400_000).toISOString(), telegramId: null });
    const [payment] = await db('payments')
      .insert({ external_invoice_id: '5151', user_id: String(user.id), plan_id: plan!.id, amount: '4.99', asset: 'USDT', subscription_days: 30 })
      .returning<{ id: string }[]>('id');
    const raw = '{"update_id":7,"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":5151,"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}';
    expect((await postCryptoPay(t.http, raw)).status).to.equal(200);
    const row = await eventually(
      async () => db('payments').where({ id: payment!.id }).first<{ status: string }>(),
      (found) => found?.status === 'completed',
      { timeoutMs: 90_000, what: 'the payment to be applied' },
    );
    expect(row.status).to.equal('completed');
  });

  it('when a user is about to expire, then the notification worker on the Cluster (its rate limiter, the chat pacing) sends the reminder', async () => {
    const telegramId = 990_001;
    fake.seedUser({ expireAt: new Date(Date.now() + 2 * 86_400_000).toISOString(), telegramId });
    await eventually(async () => telegram.messagesTo(telegramId).length, (count) => count === 1, { timeoutMs: 90_000, what: 'the reminder' });
    const row = await t.container.cradle.db('notification_queue').where({ target_telegram_id: telegramId }).first<{ status: string }>();
    expect(row?.status).to.equal('sent');
  });
});
