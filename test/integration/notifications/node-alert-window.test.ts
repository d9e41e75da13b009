import { expect } from 'chai';
import { asValue } from 'awilix';
import { Redis } from 'ioredis';
import { JobQueues } from '../../../src/infrastructure/queues/job-queues';
import { NotificationDispatcher } from '../../../src/modules/notifications/notification-dispatcher';
import type { WebhookLog } from '../../../src/modules/webhooks/webhook-logs.repository';
import { jobScope } from '../../support/job-scope';
import { createTestApp, type TestApp } from '../../support/test-app';

interface Row { id: string; to_admins: boolean; message: string; dedupe_key: string; status: string }

describe('node alert window (in-process, real Redis)', () => {
  let t: TestApp;
  const rows = () => t.container.cradle.db<Row>('notification_queue').orderBy('created_at');
  const nodeLog = (event: string, name: string, id: string): WebhookLog =>
    ({ id, event_type: event, dedupe_key: `${event}:${id}`, payload: { event, data: { name } } }) as unknown as WebhookLog;

  before(async () => {
    t = await createTestApp();
  });
  beforeEach(() => t.reset());
  after(() => t.close());

  it('when events of several nodes are recorded, then they share one window and one delayed job, and its flush sends one message with down, back and flapped nodes', async () => {
    const window = jobScope(t.container).nodeAlertWindow;
    const id = await window.record('de-1', 'down');
    expect(await window.record('nl-1', 'up')).to.equal(id);
    await window.record('fr-1', 'down');
    await window.record('fr-1', 'up');
    await window.record('fr-1', 'down');
    const job = await t.container.cradle.jobQueues.queue('notifications').getJob(`node-alerts-${id}`);
    expect(job?.data).to.deep.equal({ windowId: id });
    expect(job?.opts.delay).to.be.within(1, 30_000);

    const notificationId = await jobScope(t.container).nodeAlertWindow.flush(id);
    const [row, ...others] = await rows();
    expect(others).to.have.length(0);
    expect(row).to.include({ id: notificationId, to_admins: true, dedupe_key: `node-alerts:${id}` });
    expect(row!.message).to.equal('📡 <b>Node status changes</b>\n🔴 Down (1): <b>de-1</b>\n🟢 Back (1): <b>nl-1</b>\n🟠 Flapped (1): <b>fr-1</b> (down now)');
    // The window is closed: the next event opens another one; a retried flush finds nothing to send.
    expect(await window.record('de-1', 'up')).not.to.equal(id);
    expect(await window.flush(id)).to.equal(null);
    expect(await rows()).to.have.length(1);
  });

  it('when a window is flushed and a user expires, then the operator\'s subscribed endpoints get node.down, node.up (flapped named) and user.expired', async () => {
    const db = t.container.cradle.db;
    await db('outgoing_webhooks').insert({ url: 'https://ops.example.com/hook', events: ['node.down', 'node.up', 'user.expired'], secret_encrypted: 'x' });
    const window = jobScope(t.container).nodeAlertWindow;
    const id = await window.record('de-1', 'down');
    await window.record('fr-1', 'down');
    await window.record('fr-1', 'up');
    await window.flush(id);
    const expired = { id: 'e1', event_type: 'user.expired', dedupe_key: 'user.expired:e1', payload: { event: 'user.expired', data: { uuid: 'u-1', username: 'ann', telegramId: null, expireAt: '2026-11-30T00:00:00.000Z' } } } as unknown as WebhookLog;
    expect(await jobScope(t.container).remnawaveEventHandler.handle(expired)).to.deep.equal({ ignored: true, reason: 'The user has no Telegram id' });
    const deliveries = (await db('outgoing_webhook_deliveries').orderBy('event')) as Array<{ event: string; body: string }>;
    const bodies = deliveries.map((row) => ({ event: row.event, data: (JSON.parse(row.body) as { data: unknown }).data }));
    expect(bodies).to.deep.equal([
      { event: 'node.down', data: { name: 'de-1', flapped: false, window_id: id } },
      { event: 'node.up', data: { name: 'fr-1', flapped: true, window_id: id } },
      { event: 'user.expired', data: { uuid: 'u-1', username: 'ann', expire_at: '2026-11-30T00:00:00.000Z' } },
    ]);
  });

  it('when more nodes change than a message lists, then the rest are counted and long names cut', async () => {
    const window = jobScope(t.container).nodeAlertWindow;
    let id = '';
    for (let i = 0; i < 14; i += 1) id = await window.record(`node-${String(i).padStart(2, '0')}-${'x'.repeat(100)}`, 'down');
    await window.flush(id);
    const [row] = await rows();
    expect(row!.message).to.contain('Down (14)').and.contain(' and 2 more');
    expect(row!.message).not.to.contain('node-12').and.not.to.contain('x'.repeat(75));
  });

  it('when Redis is down, then the node event is its own admin message, its row left pending for the sweep (the alert is never lost)', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => {});
    try {
      const scope = t.container.createScope();
      const { config, logger } = t.container.cradle;
      const deadQueues = new JobQueues({ config, redis: dead, logger });
      scope.register({
        redis: asValue(dead),
        jobQueues: asValue(deadQueues),
        // A singleton of the root container: it would add jobs through the live connection.
        notificationDispatcher: asValue(new NotificationDispatcher({ jobQueues: deadQueues, logger })),
        requestContext: asValue({ requestId: 'job-dead-redis', ip: 'worker', userAgent: undefined }),
      });
      expect(await scope.cradle.remnawaveEventHandler.handle(nodeLog('node.connection_lost', 'de-<2>', 'a1'))).to.deep.equal({ ignored: false });
      expect(await scope.cradle.remnawaveEventHandler.handle(nodeLog('node.connection_restored', 'de-<2>', 'a2'))).to.deep.equal({ ignored: false });
      const sent = await rows();
      expect(sent.map((row) => [row.to_admins, row.dedupe_key])).to.deep.equal([
        [true, 'remnawave:node.connection_lost:a1'],
        [true, 'remnawave:node.connection_restored:a2'],
      ]);
      expect(sent[0]!.message).to.contain('de-&lt;2&gt;').and.contain('lost');
      expect(sent[1]!.message).to.contain('connected again');
      expect(sent.map((row) => row.status)).to.deep.equal(['pending', 'pending']);
      const logged = t.logs.entries.map((entry) => entry.message);
      expect(logged).to.include('node alert window unavailable; alerting directly').and.include('node alert job not added; the sweep will queue it');
    } finally {
      dead.disconnect();
    }
  });
});
