import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { startServer } from '../../../src/server';
import { FakeRemnawave } from '../../fakes/remnawave';
import { signIn } from '../../support/auth-helpers';
import { testEnv } from '../../support/env';
import { createAdmin, DEFAULT_PASSWORD } from '../../support/fixtures';
import { jobScope } from '../../support/job-scope';
import { eventually, nodeEvent, postCryptoPay, postRemnawave, userExpiredEvent } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { FAST_WORKER_ENV, startWebhookWorker, stopWorker } from '../webhooks/worker-process';
import { connect, refusal, startLiveApp, ticketFor, type LiveApp, type LiveClientHandle } from './live-support';

const events = (client: LiveClientHandle) => client.frames.filter((frame) => frame.type === 'event');

describe('live monitoring sources: the webhook worker (child process), the node poll, and shutdown', function () {
  this.timeout(120_000);
  let fake: FakeRemnawave;
  let live: LiveApp;
  const workers: ApiProcess[] = [];
  const clients: LiveClientHandle[] = [];

  before(async () => {
    fake = await new FakeRemnawave().start();
    live = await startLiveApp({ ...FAST_WORKER_ENV, ...fake.env() });
  });
  beforeEach(async () => {
    await live.t.reset();
    fake.reset();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    for (const worker of workers.splice(0)) await stopWorker(worker);
  });
  after(async () => {
    await live.close();
    await fake.stop();
  });

  async function subscribed(topics: string[]): Promise<LiveClientHandle> {
    const admin = await createAdmin(live.t.container, { role: 'admin' });
    const { bearer } = await signIn(live.t, admin.login, DEFAULT_PASSWORD);
    const client = await connect(live.port, await ticketFor(live.t, bearer));
    clients.push(client);
    await client.subscribe(topics);
    return client;
  }

  it('when the webhook worker settles a paid invoice, then a payments subscriber gets payment.completed', async () => {
    const client = await subscribed(['payments']);
    const [plan] = await live.t.container.cradle.db('subscription_plans').insert({ name: 'Pro', tier: 'pro', duration_days: 30, price: '4.99', currency: 'USDT' }).returning<{ id: string }[]>('id');
    const user = fake.seedUser({ expireAt: new Date(Date.now() + 86_400_000).toISOString(), telegramId: null });
    const [payment] = await live.t.container.cradle.db('payments')
      .insert({ external_invoice_id: '4242', user_id: String(user.id), plan_id: plan!.id, amount: '4.99', asset: 'USDT', subscription_days: 30 })
      .returning<{ id: string }[]>('id');
    workers.push(startWebhookWorker({ ...fake.env(), OUTBOUND_TIMEOUT: '2s' }));
    const raw = '{"update_id":1,"update_type":"invoice_paid","request_date":"2026-11-28T12:00:00.000Z","payload":{"invoice_id":4242,"status":"paid","asset":"USDT","amount":"4.99","paid_at":"2026-11-28T11:59:58.000Z"}}';
    expect((await postCryptoPay(live.t.http, raw)).status).to.equal(200);
    const event = await client.next((frame) => frame.type === 'event' && (frame.data as { event: string }).event === 'payment.completed', 60_000);
    expect(event.topic).to.equal('payments');
    expect(event.data).to.deep.include({ payment_id: payment!.id, user_id: String(user.id), subscription_days: 30 });
  });

  it('when the panel reports a node lost and a user expired (no Telegram id), then servers and users subscribers hear of both', async () => {
    const client = await subscribed(['servers', 'users']);
    workers.push(startWebhookWorker({ ...fake.env(), OUTBOUND_TIMEOUT: '2s' }));
    expect((await postRemnawave(live.t.http, nodeEvent('node.connection_lost', 'node-fr-1'))).status).to.equal(200);
    expect((await postRemnawave(live.t.http, userExpiredEvent({ telegramId: null, username: 'alice' }))).status).to.equal(200);
    await eventually(async () => events(client).length, (count) => count >= 2, { timeoutMs: 60_000, what: 'both events' });
    const byTopic = Object.fromEntries(events(client).map((frame) => [frame.topic, frame.data as Record<string, unknown>]));
    expect(byTopic.servers).to.deep.include({ event: 'node.connection_lost', name: 'node-fr-1' });
    expect(byTopic.users).to.deep.include({ event: 'user.expired', username: 'alice' });
  });

  it('when a node changes status between polls, then one servers event per change, however many workers poll', async () => {
    const client = await subscribed(['servers', 'system']);
    const node = fake.infra.seedNode({ name: 'node-de-1' });
    const poll = () => jobScope(live.t.container).nodeStatusPoll.run();
    await poll();
    node.isConnected = false;
    await Promise.all([poll(), poll(), poll()]);
    const event = await client.next((frame) => frame.type === 'event');
    expect(event.data).to.deep.include({ event: 'node.status_changed', uuid: node.uuid, name: 'node-de-1', status: 'offline', previous_status: 'online' });
    node.isDisabled = true;
    await poll();
    await client.next((frame) => (frame.data as { status?: string } | undefined)?.status === 'disabled');
    await poll();
    expect(events(client)).to.have.length(2);
  });

  it('when the panel stops answering the poll and comes back, then system subscribers get panel.unreachable and panel.restored once each', async () => {
    const client = await subscribed(['system']);
    const poll = () => jobScope(live.t.container).nodeStatusPoll.run();
    await poll();
    fake.failAlways('server_error');
    await poll().catch(() => undefined);
    await poll().catch(() => undefined);
    await client.next((frame) => (frame.data as { event?: string } | undefined)?.event === 'panel.unreachable');
    fake.heal();
    await eventually(async () => poll().then(() => true, () => false), (ok) => ok, { what: 'the panel client to recover' });
    await client.next((frame) => (frame.data as { event?: string } | undefined)?.event === 'panel.restored');
    expect(events(client).map((frame) => (frame.data as { event: string }).event)).to.deep.equal(['panel.unreachable', 'panel.restored']);
  });

  it('when the API process drains (SIGTERM), then open sockets are closed with 1001 and new upgrades refused', async () => {
    const running = await startServer(loadConfig(testEnv({ LOG_LEVEL: 'error' })));
    const admin = await createAdmin(running.container, { role: 'viewer' });
    const login = await fetch(`http://127.0.0.1:${running.port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login_or_email: admin.login, password: DEFAULT_PASSWORD }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const ticket = async () => {
      const res = await fetch(`http://127.0.0.1:${running.port}/api/v1/ws/ticket`, { method: 'POST', headers: { Authorization: `Bearer ${access_token}` } });
      return ((await res.json()) as { ticket: string }).ticket;
    };
    const client = await connect(running.port, await ticket());
    const spare = await ticket();
    await running.liveGateway.ready;
    const stopped = running.stop();
    expect((await client.closed).code).to.equal(1001);
    const late = await refusal(connect(running.port, spare)).catch((error: unknown) => ({ status: (error as NodeJS.ErrnoException).code, body: { detail: '' } }));
    expect([503, 'ECONNREFUSED']).to.include(late.status);
    await stopped;
  });
});
