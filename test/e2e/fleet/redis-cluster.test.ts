import { expect } from 'chai';
import { Cluster } from 'ioredis';
import supertest from 'supertest';
import { loadConfig } from '../../../src/config';
import { startServer } from '../../../src/server';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FakeTelegram } from '../../fakes/telegram';
import { createAdmin, DEFAULT_PASSWORD } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';
import { eventually, postCryptoPay } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { startNotificationWorker } from '../notifications/worker-process';
import { startWebhookWorker, stopWorker } from '../webhooks/worker-process';
import { testEnv } from '../../support/env';
import { connect } from '../live/live-support';
import { startRedisCluster, type LocalRedisCluster } from './redis-cluster';

const AUTH_MAX = 3;

describe('a Redis Cluster (REDIS_CLUSTER_NODES): the API and a worker process against 3 masters', function () {
  this.timeout(180_000);
  let cluster: LocalRedisCluster;
  let fake: FakeRemnawave;
  let telegram: FakeTelegram;
  let t: TestApp;
  let env: Record<string, string>;
  const workers: ApiProcess[] = [];

  before(async () => {
    cluster = await startRedisCluster();
    fake = await new FakeRemnawave().start();
    telegram = await new FakeTelegram().start();
    env = { ...fake.env(), ...telegram.env(), REDIS_CLUSTER_NODES: cluster.nodes, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_MAX: String(AUTH_MAX), RATE_LIMIT_GLOBAL_MAX: '1000' };
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

  it('when the worker process settles a payment, then a subscriber on an API process gets payment.completed through the Cluster', async () => {
    // Rate limits off here: the earlier tests spent this IP's login allowance.
    const running = await startServer(loadConfig(testEnv({ ...env, RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'error' })));
    try {
      await running.liveGateway.ready;
      const http = supertest(`http://127.0.0.1:${running.port}`);
      const admin = await createAdmin(t.container);
      const login = await http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: DEFAULT_PASSWORD });
      const ticket = await http.post('/api/v1/ws/ticket').set('Authorization', `Bearer ${login.body.access_token as string}`);
      const client = await connect(running.port, ticket.body.ticket as string);
      await client.subscribe(['payments']);
      const db = t.container.cradle.db;
      const [plan] = await db('subscription_plans').insert({ name: 'Pro live', tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning<{ id: string }[]>('id');
      const user = fake.seedUser({ expireAt: new Date(Date.now() + 86_400_000).toISOString(), telegramId: null });
      const [payment] = await db('payments')
        .insert({ external_invoice_id: '5252', user_id: String(user.id), plan_id: plan!.id, amount: '4.99', asset: 'USDT', subscription_days: 30 })
        .returning<{ id: string }[]>('id');
      const raw = '{"update_id":8,"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":5252,"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}';
      expect((await postCryptoPay(http, raw)).status).to.equal(200);
      const event = await client.next((frame) => frame.type === 'event' && (frame.data as { event: string }).event === 'payment.completed', 90_000);
      expect(event.data).to.deep.include({ payment_id: payment!.id });
      client.ws.terminate();
    } finally {
      await running.stop();
    }
  });
});
