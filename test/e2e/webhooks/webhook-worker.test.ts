import net from 'node:net';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createTestApp, type TestApp } from '../../support/test-app';
import { freePort, type ApiProcess } from '../api-process';
import { signedInAdmin } from '../admins/helpers';
import { eventually, nodeEvent, postRemnawave, userExpiredEvent, webhookRows } from '../../support/webhooks';
import { FAST_WORKER_ENV, logLines, startWebhookWorker, stopWorker, waitForLog } from './worker-process';
import { FakeRemnawave } from '../../fakes/remnawave';
import type { WebhookLog } from '../../../src/modules/webhooks/webhook-logs.repository';

interface NotificationRow {
  id: string;
  target_telegram_id: string | null;
  to_admins: boolean;
  message: string;
  status: string;
  dedupe_key: string;
}

describe('webhook worker (a real child process)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let worker: ApiProcess | undefined;
  const extraWorkers: ApiProcess[] = [];

  // The API adds the jobs, so their attempts and backoff are its settings: the same as the worker's.
  before(async () => {
    t = await createTestApp(FAST_WORKER_ENV);
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => t.reset());
  afterEach(async () => {
    for (const process of [worker, ...extraWorkers.splice(0)]) if (process) await stopWorker(process);
    worker = undefined;
  });

  const notifications = () => t.container.cradle.db<NotificationRow>('notification_queue').orderBy('created_at');
  const rowOf = async (id: string) => { const row = await t.container.cradle.db<WebhookLog>('webhook_logs').where({ id }).first(); if (!row) throw new Error(`no row ${id}: ${JSON.stringify(await webhookRows(t.container))}`); return row; };
  const settled = (id: string, status = 'processed') => eventually(() => rowOf(id), (row) => row.status === status, { what: `webhook ${id} ${status}` });

  it('when a user.expired arrives, then the worker records one notification for the user, queues its delivery, and logs with the job id', async () => {
    worker = startWebhookWorker();
    const raw = userExpiredEvent({ username: '<alice>', telegramId: 424242 });
    expect((await postRemnawave(t.http, raw)).status).to.equal(200);
    const [row] = await webhookRows(t.container);
    const done = await settled(row!.id);
    expect(done.attempts).to.equal(1);
    expect(done.processed_at).to.be.instanceOf(Date);
    const [notification, ...others] = await notifications();
    expect(others).to.have.length(0);
    expect(String(notification!.target_telegram_id)).to.equal('424242');
    expect(notification).to.include({ to_admins: false, status: 'pending', dedupe_key: `remnawave:${row!.dedupe_key}` });
    expect(notification!.message).to.contain('<b>&lt;alice&gt;</b>').and.contain('expired');
    const delivery = await t.container.cradle.jobQueues.queue('notifications').getJob(`notification-${notification!.id}`);
    expect(delivery?.name).to.equal('deliver');
    expect(delivery?.data).to.deep.equal({ notificationId: notification!.id });

    const jobId = `remnawave-${row!.dedupe_key!.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const processed = await waitForLog(worker, 'webhook processed');
    expect(processed).to.include({ job_id: jobId, webhook_log_id: row!.id });
    expect(processed.request_id).to.be.a('string');
  });

  it('when the same event is delivered 10 times at once, then one row and one notification', async () => {
    worker = startWebhookWorker();
    const raw = userExpiredEvent();
    const answers = await Promise.all(Array.from({ length: 10 }, () => postRemnawave(t.http, raw)));
    expect(answers.every((res) => res.status === 200)).to.equal(true);
    const rows = await webhookRows(t.container);
    expect(rows).to.have.length(1);
    await settled(rows[0]!.id);
    // A late redelivery, after processing, changes nothing either.
    expect((await postRemnawave(t.http, raw)).status).to.equal(200);
    expect(await webhookRows(t.container)).to.have.length(1);
    expect(await notifications()).to.have.length(1);
  });

  it('when a user has no Telegram id, then the row is ignored with the reason; node events go into the admins\' alert window', async () => {
    // The reminder is for the user as the panel has them when the event is processed.
    const panel = await new FakeRemnawave().start();
    after(() => panel.stop());
    worker = startWebhookWorker(panel.env());
    await postRemnawave(t.http, userExpiredEvent({ telegramId: null }));
    await postRemnawave(t.http, nodeEvent('node.connection_lost', 'de-1'));
    await postRemnawave(t.http, nodeEvent('node.connection_restored', 'de-1'));
    const expiring = new Date(Math.ceil((Date.now() + 50 * 3_600_000) / 60_000) * 60_000);
    const expirationEvent = userExpiredEvent({ event: 'user.expiration', meta: { expiration: '72h' }, expireAt: expiring.toISOString() });
    const { data } = JSON.parse(expirationEvent) as { data: { id: number; username: string; telegramId: number } };
    panel.seedUser({ id: data.id, username: data.username, telegramId: data.telegramId, expireAt: expiring.toISOString() });
    await postRemnawave(t.http, expirationEvent);
    await postRemnawave(t.http, JSON.stringify({ event: 'node.connection_lost', timestamp: '2026-11-28T12:00:00Z', data: { uuid: 'abc-1' } }));
    const rows = await webhookRows(t.container);
    const final = await Promise.all(rows.map((row) => eventually(() => rowOf(row.id), (current) => ['processed', 'ignored'].includes(current.status))));
    expect(final.map((row) => [row.event_type, row.status, row.error_message])).to.deep.equal([
      ['user.expired', 'ignored', 'The user has no Telegram id'],
      ['node.connection_lost', 'processed', null],
      ['node.connection_restored', 'processed', null],
      ['user.expiration', 'processed', null],
      ['node.connection_lost', 'ignored', 'Unexpected event shape'],
    ]);
    const sent = await notifications();
    expect(sent.map((row) => [row.to_admins, row.target_telegram_id === null])).to.deep.equal([[false, false]]);
    expect(sent[0]!.message).to.contain(`${expiring.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    // Both node events joined one window: its one job waits on the notifications queue.
    const windows = await t.container.cradle.jobQueues.queue('notifications').getJobs(['delayed', 'waiting']);
    expect(windows.filter((job) => job.name === 'node-alerts')).to.have.length(1);
  });

  it('when a supervisor asks, then /health is 200 and /ready is 200 while the worker takes jobs; SIGTERM exits 0', async () => {
    const port = await freePort();
    worker = startWebhookWorker({ WORKER_HEALTH_PORT: String(port) });
    await waitForLog(worker, 'worker started');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).to.equal(200);
    const ready = await eventually(() => fetch(`http://127.0.0.1:${port}/ready`).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> })), (res) => res.status === 200);
    expect(ready.body).to.deep.equal({ status: 'ready', workers: 'running', components: { database: 'up', redis: 'up' } });
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).to.equal(404);
    expect(await stopWorker(worker)).to.equal(0);
    worker = undefined;
  });

  it('when its WORKER_HEALTH_PORT is taken (a second worker on the host), then it exits 1 saying so and takes no job', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    try {
      expect((await postRemnawave(t.http, userExpiredEvent({ telegramId: null }))).status).to.equal(200);
      const [row] = await webhookRows(t.container);
      const port = (holder.address() as net.AddressInfo).port;
      const refused = startWebhookWorker({ WORKER_HEALTH_PORT: String(port) });
      expect(await refused.exited).to.equal(1);
      expect(refused.stderr()).to.contain('webhooks worker failed to start: listen EADDRINUSE');
      expect(logLines(refused).some((line) => line.message === 'worker started')).to.equal(false);
      expect((await rowOf(row!.id)).status).to.equal('queued');
      expect(await t.container.cradle.jobQueues.queue('webhooks').getJobCounts('waiting', 'active')).to.deep.equal({ waiting: 1, active: 0 });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  describe('a job held mid-way (its row locked by the test)', () => {
    let trx: Knex.Transaction | undefined;
    afterEach(async () => {
      if (trx && !trx.isCompleted()) await trx.rollback();
      trx = undefined;
    });

    /** Queues an event with no worker running, locks its row, starts a worker and waits until its job is stuck on the lock. */
    async function heldJob(): Promise<{ row: WebhookLog; held: ApiProcess }> {
      expect((await postRemnawave(t.http, userExpiredEvent())).status).to.equal(200);
      const [row] = await webhookRows(t.container);
      trx = await t.container.cradle.db.transaction();
      await trx('webhook_logs').where({ id: row!.id }).forUpdate().first();
      const held = startWebhookWorker();
      await eventually(
        () => t.container.cradle.db.raw<{ rows: unknown[] }>("select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'update \"webhook_logs\"%'"),
        (result) => result.rows.length > 0,
        { what: 'the worker waiting on the row lock' },
      );
      return { row: row!, held };
    }

    it('when SIGTERM comes mid-job, then the worker finishes that job before it exits 0', async () => {
      const { row, held } = await heldJob();
      worker = held;
      held.child.kill('SIGTERM');
      await waitForLog(held, 'worker shutting down: finishing running jobs');
      expect(held.child.exitCode).to.equal(null);
      await trx!.commit();
      expect(await held.exited).to.equal(0);
      worker = undefined;
      expect((await rowOf(row.id)).status).to.equal('processed');
      expect(await notifications()).to.have.length(1);
      expect(logLines(held).some((line) => line.message === 'worker stopped')).to.equal(true);
    });

    it('when the worker is SIGKILLed mid-job, then a second worker takes the stalled job over and the effect happens once', async () => {
      const { row, held } = await heldJob();
      held.child.kill('SIGKILL');
      expect(await held.exited).to.equal('SIGKILL');
      await trx!.rollback();
      worker = startWebhookWorker();
      const done = await settled(row.id);
      expect(done.attempts).to.be.at.least(1);
      expect(await notifications()).to.have.length(1);
    });
  });

  it('when every attempt fails, then the row is `failed` with a safe message and the admins are told; the retry endpoint requeues it and it is processed', async () => {
    const { db } = t.container.cradle;
    // A real failure of a real dependency: PostgreSQL refuses every new notification to a user
    // (the admins' alert about it still goes in).
    await db.raw('ALTER TABLE notification_queue ADD CONSTRAINT test_refuse_users CHECK (to_admins) NOT VALID');
    try {
      worker = startWebhookWorker();
      await postRemnawave(t.http, userExpiredEvent());
      const [row] = await webhookRows(t.container);
      const failed = await settled(row!.id, 'failed');
      expect(failed.attempts).to.equal(3);
      expect(failed.error_message).to.equal('Internal server error');
      const [alert, ...more] = await eventually(notifications, (rows) => rows.length > 0, { what: 'the admins\' alert' });
      expect(more).to.have.length(0);
      expect(alert).to.include({ to_admins: true, status: 'pending' });
      expect(alert!.message).to.contain('remnawave webhook (user.expired) failed for good: Internal server error');
    } finally {
      await db.raw('ALTER TABLE notification_queue DROP CONSTRAINT test_refuse_users');
    }
    const [row] = await webhookRows(t.container);
    const admin = await signedInAdmin(t, 'admin');
    const retried = await t.http.post(`/api/v1/admin/webhook-log/${row!.id}/retry`).set(admin.bearer);
    expect(retried.status).to.equal(202);
    expect(retried.body).to.include({ id: row!.id, status: 'queued', error_message: null });
    expect(retried.body).to.not.have.property('signature');
    await settled(row!.id);
    expect((await notifications()).filter((n) => !n.to_admins)).to.have.length(1);
    const audit = await db('audit_logs').where({ action: 'webhook.retried', entity_id: row!.id });
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ admin_id: admin.id, entity_type: 'webhook_log' });
    expect((await t.http.post(`/api/v1/admin/webhook-log/${row!.id}/retry`).set(admin.bearer)).status).to.equal(409);
  });

  it('when Redis was down at intake, then the sweep queues the `received` row once the worker runs, and it is processed once', async () => {
    const offline = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` });
    try {
      expect((await postRemnawave(offline.http, userExpiredEvent())).status).to.equal(200);
    } finally {
      await offline.close();
    }
    const [row] = await webhookRows(t.container);
    expect(row!.status).to.equal('received');
    // And a queued row whose job Redis no longer has (lost with Redis' data, or the API process died
    // between the row's INSERT, which records it `queued`, and adding its job).
    const [lost] = await t.container.cradle.db('webhook_logs')
      .insert({ source: 'remnawave', event_type: 'node.connection_lost', dedupe_key: 'node.connection_lost:lost-1:2026-11-28T12:00:00.000Z', payload: JSON.stringify({ data: { name: 'n' } }), is_valid: true, status: 'queued', updated_at: new Date(Date.now() - 60_000) })
      .returning<{ id: string }[]>('id');
    worker = startWebhookWorker();
    await settled(row!.id);
    await settled(lost!.id);
    // The user's reminder is a row; the node event joined the admins' alert window (its job waits).
    expect(await notifications()).to.have.length(1);
    const windows = await t.container.cradle.jobQueues.queue('notifications').getJobs(['delayed', 'waiting']);
    expect(windows.filter((job) => job.name === 'node-alerts')).to.have.length(1);
    await waitForLog(worker, 'webhook sweep queued rows again');
  });
});
