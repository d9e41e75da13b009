import { expect } from 'chai';
import supertest from 'supertest';
import { FakeRemnawave } from '../../fakes/remnawave';
import { FakeTelegram } from '../../fakes/telegram';
import { redisKey } from '../../../src/infrastructure/redis/redis';
import { truncateAllTables } from '../../support/database';
import { createAdmin, DEFAULT_PASSWORD } from '../../support/fixtures';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { testEnv } from '../../support/env';
import { createTestApp, type TestApp } from '../../support/test-app';
import { eventually, postCryptoPay, webhookRows } from '../../support/webhooks';
import { freePort, startEntryProcess, waitForHealth, type ApiProcess } from '../api-process';
import { connect, type LiveClientHandle } from '../live/live-support';
import { FAST_WORKER_ENV, stopWorker } from '../webhooks/worker-process';
import { entryOf, loadManifest } from './manifest';

const DAY_MS = 86_400_000;
const AUTH_MAX = 4;

interface RunningApi {
  readonly process: ApiProcess;
  readonly port: number;
  readonly http: ReturnType<typeof supertest>;
}

const paidInvoice = (invoiceId: number, updateId = invoiceId) =>
  `{"update_id":${updateId},"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":${invoiceId},"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}`;

/**
 * The fleet the manifest describes (two API processes, two of each worker kind), as real child
 * processes against one PostgreSQL and one Redis. The in-process app is only the test's handle on
 * the database and Redis (fixtures, reset).
 */
describe('the fleet: two API processes and two of each worker against one PostgreSQL and one Redis', function () {
  this.timeout(240_000);
  let fake: FakeRemnawave;
  let telegram: FakeTelegram;
  let t: TestApp;
  let env: Record<string, string>;
  let apis: RunningApi[] = [];
  const workers: ApiProcess[] = [];
  const clients: LiveClientHandle[] = [];

  async function startApi(): Promise<RunningApi> {
    const port = await freePort();
    const child = startEntryProcess(entryOf(loadManifest().find((app) => app.name === 'api')!), testEnv({ ...env, PORT: String(port) }));
    await waitForHealth(port, child);
    return { process: child, port, http: supertest(`http://127.0.0.1:${port}`) };
  }

  before(async () => {
    fake = await new FakeRemnawave().start();
    telegram = await new FakeTelegram().start();
    env = { ...FAST_WORKER_ENV, ...fake.env(), ...telegram.env(), EXPIRY_SCAN_INTERVAL: '1s', OUTBOUND_TIMEOUT: '2s', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_MAX: String(AUTH_MAX), RATE_LIMIT_GLOBAL_MAX: '10000' };
    t = await createTestApp(env);
    await t.reset();
    const manifest = loadManifest();
    const api = manifest.find((app) => app.name === 'api')!;
    apis = await Promise.all(Array.from({ length: api.instances }, () => startApi()));
    for (const app of manifest.filter((candidate) => candidate.name.startsWith('worker-'))) {
      for (let instance = 0; instance < app.instances; instance += 1) workers.push(startEntryProcess(entryOf(app), testEnv(env)));
    }
  });
  beforeEach(async () => {
    // Not t.reset(): the running workers' queues and schedules live under the same Redis prefix.
    await truncateAllTables(t.container.cradle.db);
    for (const feature of ['rl', 'throttle']) await deleteKeysWithPrefix(t.container.cradle.redis, redisKey(t.container.cradle.config, feature));
    fake.reset();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });
  after(async () => {
    await Promise.all([...apis.map((api) => stopWorker(api.process)), ...workers.map((worker) => stopWorker(worker))]);
    await t?.close();
    await fake?.stop();
    await telegram?.stop();
  });

  async function pendingPayment(invoiceId: number, expireAt: string) {
    const db = t.container.cradle.db;
    const [plan] = await db('subscription_plans').insert({ name: `Pro ${invoiceId}`, tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning<{ id: string }[]>('id');
    const user = fake.seedUser({ expireAt, telegramId: null });
    const [payment] = await db('payments')
      .insert({ external_invoice_id: String(invoiceId), user_id: String(user.id), plan_id: plan!.id, amount: '4.99', asset: 'USDT', subscription_days: 30 })
      .returning<{ id: string }[]>('id');
    return { user, paymentId: payment!.id };
  }

  const completedCount = async (ids: string[]) => Number((await t.container.cradle.db('payments').whereIn('id', ids).where({ status: 'completed' }).count<{ count: string }[]>('* as count'))[0]!.count);

  it('when wrong logins alternate between the two APIs, then the per-IP auth limit counts them together', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= AUTH_MAX; attempt += 1) {
      const api = apis[attempt % apis.length]!;
      statuses.push((await api.http.post('/api/v1/auth/login').send({ login_or_email: 'nobody', password: 'not-the-password' })).status);
    }
    // Each API saw at most three of the five: only a shared count reaches the limit.
    expect(statuses).to.deep.equal([...Array<number>(AUTH_MAX).fill(401), 429]);
  });

  it('when a payment is reported through API #2, then a payments subscriber on API #1 gets payment.completed', async () => {
    const admin = await createAdmin(t.container, { role: 'admin' });
    const login = await apis[0]!.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: DEFAULT_PASSWORD });
    expect(login.status).to.equal(200);
    const ticket = await apis[0]!.http.post('/api/v1/ws/ticket').set('Authorization', `Bearer ${login.body.access_token as string}`);
    const client = await connect(apis[0]!.port, ticket.body.ticket as string);
    clients.push(client);
    await client.subscribe(['payments']);
    const { paymentId } = await pendingPayment(6101, new Date(Date.now() + DAY_MS).toISOString());
    expect((await postCryptoPay(apis[1]!.http, paidInvoice(6101))).status).to.equal(200);
    const event = await client.next((frame) => frame.type === 'event' && (frame.data as { event: string }).event === 'payment.completed', 60_000);
    expect(event.data).to.deep.include({ payment_id: paymentId });
  });

  it('when Crypto Pay delivers the same paid invoice to both APIs several times, then the payment is applied once', async () => {
    const expireAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const { user, paymentId } = await pendingPayment(6202, expireAt);
    const raw = paidInvoice(6202);
    const answers = await Promise.all([...apis, ...apis, ...apis].map((api) => postCryptoPay(api.http, raw)));
    expect(answers.map((answer) => answer.status)).to.deep.equal(Array<number>(answers.length).fill(200));
    await eventually(() => completedCount([paymentId]), (count) => count === 1, { timeoutMs: 90_000, what: 'the payment to be applied' });
    // Every delivery recorded is finished (duplicates share its row) before the panel's changes are counted.
    const rows = await eventually(() => webhookRows(t.container), (found) => found.length > 0 && found.every((row) => row.status !== 'received'), { timeoutMs: 60_000, what: 'the deliveries to be processed' });
    expect(rows).to.have.length(1);
    expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt)).to.equal(30 * DAY_MS);
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(1);
  });

  it('when both notification workers scan the panel every second, then a user about to expire gets one reminder', async () => {
    const telegramId = 880_001;
    fake.seedUser({ expireAt: new Date(Date.now() + 2 * DAY_MS).toISOString(), telegramId });
    await eventually(async () => telegram.messagesTo(telegramId).length, (count) => count > 0, { timeoutMs: 60_000, what: 'the reminder' });
    const scansBefore = fake.count('GET', /^\/api\/users\/stream/);
    await eventually(async () => fake.count('GET', /^\/api\/users\/stream/), (count) => count >= scansBefore + 4, { timeoutMs: 60_000, what: 'four more scans' });
    expect(telegram.messagesTo(telegramId)).to.have.length(1);
    expect(await t.container.cradle.db('notification_queue').where({ target_telegram_id: telegramId })).to.have.length(1);
  });

  it('when a worker and then an API are SIGKILLed mid-load, then every payment they had accepted is still applied, each once', async () => {
    const expireAt = new Date(Date.now() + 3 * DAY_MS).toISOString();
    const payments = await Promise.all(Array.from({ length: 12 }, (_, index) => pendingPayment(6300 + index, expireAt)));
    const firstHalf = payments.slice(0, 6);
    const secondHalf = payments.slice(6);
    for (const [index] of firstHalf.entries()) expect((await postCryptoPay(apis[index % 2]!.http, paidInvoice(6300 + index))).status).to.equal(200);
    workers[0]!.child.kill('SIGKILL');
    for (const [index] of secondHalf.entries()) expect((await postCryptoPay(apis[0]!.http, paidInvoice(6306 + index))).status).to.equal(200);
    // Its answers were given after the deliveries were recorded: killing it now loses none of them.
    apis[0]!.process.child.kill('SIGKILL');
    const ids = payments.map((payment) => payment.paymentId);
    await eventually(() => completedCount(ids), (count) => count === ids.length, { timeoutMs: 120_000, what: 'every payment to be applied' });
    for (const { user } of payments) expect(Date.parse(fake.user(user.id)!.expireAt) - Date.parse(expireAt), `user ${user.id}`).to.equal(30 * DAY_MS);
    expect(fake.count('PATCH', /^\/api\/users$/)).to.equal(payments.length);
    // The survivors still serve.
    expect((await apis[1]!.http.get('/ready')).status).to.equal(200);
  });
});
